/* 注册工程会员申请 (the member application pages): live n / max counters, the
 * specialty page's field and specialty radios, 籍贯's city list narrowed to the chosen
 * province, the 姓名拼音 suggestion, and the rows of the repeatable sections added and
 * removed in the page. Plain JavaScript, no library. Every page works without it; the
 * server decides every rule. */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  function byId(id) {
    return document.getElementById(id);
  }

  function each(nodes, callback) {
    Array.prototype.forEach.call(nodes, callback);
  }

  var textsNode = byId("member-texts");
  var texts = textsNode ? JSON.parse(textsNode.textContent) : {};

  // --- counting exactly as app/validation.count_chars -------------------------------
  // CRLF and CR are one newline; the characters Python's str.strip() removes are not
  // counted at either end; one code point is one character (𠀋 counts 1).
  var SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  var TRIM = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");

  function countChars(value) {
    return Array.from(value.replace(/\r\n?/g, "\n").replace(TRIM, "")).length;
  }

  function bindCounter(counter) {
    var input = byId(counter.getAttribute("data-count-for"));
    if (!input) {
      return;
    }
    var max = parseInt(counter.getAttribute("data-max"), 10);
    function update() {
      var count = countChars(input.value);
      counter.textContent = count + " / " + max;
      counter.classList.toggle("over", count > max);
    }
    input.addEventListener("input", update);
    update();
  }
  each(document.querySelectorAll("[data-count-for]"), bindCounter);

  // --- 领域及专业: a specialty belongs to its field -----------------------------------
  var specialtyForm = byId("specialty-form");
  if (specialtyForm) {
    each(specialtyForm.querySelectorAll('input[name="specialty_id"]'), function (radio) {
      radio.addEventListener("change", function () {
        var field = specialtyForm.querySelector(
          'input[name="field_id"][value="' + radio.getAttribute("data-field-id") + '"]'
        );
        if (field) {
          field.checked = true;
        }
      });
    });
    each(specialtyForm.querySelectorAll('input[name="field_id"]'), function (radio) {
      radio.addEventListener("change", function () {
        each(specialtyForm.querySelectorAll('input[name="specialty_id"]:checked'), function (chosen) {
          if (chosen.getAttribute("data-field-id") !== radio.value) {
            chosen.checked = false;
          }
        });
      });
    });
  }

  // --- 籍贯: the cities of the chosen province -----------------------------------------
  var province = byId("native_province");
  var city = byId("native_city");
  function narrowCities() {
    var code = province.value;
    var offered = 0;
    each(city.querySelectorAll("optgroup"), function (group) {
      var shown = group.getAttribute("data-province") === code;
      group.hidden = !shown;
      group.disabled = !shown;
      if (shown) {
        offered = group.querySelectorAll("option").length;
      }
    });
    var selected = city.options[city.selectedIndex];
    if (selected && selected.parentNode.disabled) {
      city.value = "";
    }
    // 香港, 澳门, 台湾: no unit to choose (a disabled select posts nothing).
    city.disabled = code !== "" && offered === 0;
  }
  if (province && city) {
    province.addEventListener("change", narrowCities);
    narrowCities();
  }

  // --- 姓名拼音: the suggestion of the name ----------------------------------------------
  var form = byId("member-section-form");
  var suggest = byId("suggest-pinyin");
  if (form && suggest) {
    var pinyin = byId("name_pinyin");
    var status = byId("pinyin-status");
    var rule = status.textContent; // the rule shown until a suggestion fails
    suggest.addEventListener("click", function (event) {
      event.preventDefault();
      var url = form.getAttribute("data-pinyin-url") + "?name=" + encodeURIComponent(byId("name").value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (body.ok && body.pinyin) {
            pinyin.value = body.pinyin;
            pinyin.dispatchEvent(new Event("input", { bubbles: true }));
            status.textContent = rule;
          } else {
            status.textContent = body.message || texts.noPinyin;
          }
        })
        .catch(function () {
          status.textContent = texts.failed;
        });
    });
  }

  // --- repeatable rows: added and removed in the page -------------------------------
  var rowsBox = byId("member-rows");
  var template = byId("row-template");
  var addButton = byId("add-row");
  if (rowsBox && template && addButton) {
    var nextIndex = parseInt(rowsBox.getAttribute("data-next-index"), 10) || 0;
    var maxRows = parseInt(rowsBox.getAttribute("data-max-rows"), 10) || 20;

    var renumber = function () {
      var rows = rowsBox.querySelectorAll("[data-row]");
      each(rows, function (row, position) {
        row.querySelector(".row-number").textContent = String(position + 1);
      });
      addButton.disabled = rows.length >= maxRows;
    };
    var bindRow = function (row) {
      row.querySelector("[data-remove-row]").addEventListener("click", function (event) {
        event.preventDefault();
        row.parentNode.removeChild(row);
        renumber();
      });
      each(row.querySelectorAll("[data-count-for]"), bindCounter);
    };

    each(rowsBox.querySelectorAll("[data-row]"), bindRow);
    addButton.addEventListener("click", function (event) {
      event.preventDefault();
      if (rowsBox.querySelectorAll("[data-row]").length >= maxRows) {
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.split("__INDEX__").join(String(nextIndex)).trim();
      nextIndex += 1;
      var row = holder.firstElementChild;
      rowsBox.appendChild(row);
      bindRow(row);
      renumber();
      row.querySelector("input, textarea").focus();
    });
    renumber();
  }

  // --- leaving a section with unsaved changes asks first ------------------------------
  // The progress list, 预览, 修改领域及专业 and the site's links leave without saving;
  // closing the tab or going back too (the browser's own question then).
  if (form) {
    var dirty = false;
    var markDirty = function () { dirty = true; };
    form.addEventListener("input", markDirty);
    form.addEventListener("change", markDirty);
    form.addEventListener("submit", function () { dirty = false; });
    each(document.querySelectorAll("a[href]"), function (link) {
      link.addEventListener("click", function (event) {
        if (dirty && link.target !== "_blank" && !window.confirm(texts.leave)) {
          event.preventDefault();
        } else if (dirty) {
          dirty = false; // asked once: the browser does not ask again
        }
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // --- a step that cannot be undone (提交) asks first ---------------------------------------
  each(document.querySelectorAll("button[data-confirm]"), function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // --- a double click sends once ---------------------------------------------------------
  each(document.querySelectorAll("form[method=post]"), function (postForm) {
    var sent = false;
    postForm.addEventListener("submit", function (event) {
      if (sent) {
        event.preventDefault();
        return;
      }
      sent = true;
    });
    window.addEventListener("pageshow", function () { sent = false; });
  });
})();
