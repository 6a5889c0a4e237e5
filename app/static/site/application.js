/* The application form (拟参加工程能力评价申请): live n / max counters, the
 * domestic/overseas switch, the live check of the referral code, the project
 * autocomplete and the 意向评价学会 list of the chosen field. Plain JavaScript, no
 * library. The page works without it; the server decides every rule. */
(function () {
  "use strict";

  var form = document.getElementById("application-form");
  if (!form) {
    return;
  }
  var texts = JSON.parse(document.getElementById("application-texts").textContent);
  document.documentElement.classList.add("js");

  function byId(id) {
    return document.getElementById(id);
  }

  function getJSON(url, params) {
    var query = Object.keys(params)
      .map(function (key) { return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]); })
      .join("&");
    return fetch(url + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        body.status = response.status;
        return body;
      });
    });
  }

  // --- counting exactly as app/validation.count_chars -------------------------------
  // CRLF and CR are one newline; the characters Python's str.strip() removes are not
  // counted at either end; one code point is one character (𠀋 counts 1).
  var SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  var TRIM = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");

  function countChars(value) {
    return Array.from(value.replace(/\r\n?/g, "\n").replace(TRIM, "")).length;
  }
  window.countApplicationChars = countChars; // for the browser tests

  Array.prototype.forEach.call(form.querySelectorAll("[data-count-for]"), function (counter) {
    var input = byId(counter.getAttribute("data-count-for"));
    var max = parseInt(counter.getAttribute("data-max"), 10);
    function update() {
      var count = countChars(input.value);
      counter.textContent = count + " / " + max;
      counter.classList.toggle("over", count > max);
    }
    input.addEventListener("input", update);
    update();
  });

  // --- domestic / overseas ------------------------------------------------------------
  function overseas() {
    var checked = form.querySelector('input[name="overseas"]:checked');
    return checked !== null && checked.value === "1";
  }
  function applyOverseas() {
    var abroad = overseas();
    Array.prototype.forEach.call(form.querySelectorAll("[data-when]"), function (row) {
      row.hidden = row.getAttribute("data-when") !== (abroad ? "overseas" : "domestic");
    });
  }
  Array.prototype.forEach.call(form.querySelectorAll('input[name="overseas"]'), function (radio) {
    radio.addEventListener("change", applyOverseas);
  });
  applyOverseas();

  // --- society route: the channels of the chosen kind ----------------------------------
  var societySelect = byId("recommending_society_id");
  function applyKind() {
    var checked = form.querySelector('input[name="society_kind"]:checked');
    var kind = checked ? checked.value : "";
    Array.prototype.forEach.call(societySelect.querySelectorAll("optgroup"), function (group) {
      var shown = !kind || group.getAttribute("data-kind") === kind;
      group.hidden = !shown;
      Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
        option.disabled = !shown;
      });
    });
    var selected = societySelect.options[societySelect.selectedIndex];
    if (selected && selected.disabled) {
      societySelect.value = "";
    }
  }
  if (societySelect) {
    Array.prototype.forEach.call(form.querySelectorAll('input[name="society_kind"]'), function (radio) {
      radio.addEventListener("change", applyKind);
    });
    applyKind();
  }

  // --- enterprise route: the referral code and the project -----------------------------
  var codeInput = byId("referral_code");
  var codeStatus = byId("referral_code-status");
  var projectId = byId("project_id");
  var projectName = byId("project_name");
  var suggestions = byId("project-suggestions");
  var checkedCode = null; // the last code the server accepted
  var lastChecked = null;

  function showCodeStatus(ok, message) {
    codeStatus.textContent = message;
    codeStatus.classList.toggle("ok", ok === true);
    codeStatus.classList.toggle("bad", ok === false);
  }

  function checkCode() {
    var value = codeInput.value.trim();
    if (value === lastChecked) {
      return;
    }
    lastChecked = value;
    checkedCode = null;
    if (!value) {
      showCodeStatus(null, "");
      return;
    }
    showCodeStatus(null, texts.checking);
    getJSON(form.getAttribute("data-code-url"), { code: value })
      .then(function (body) {
        if (codeInput.value.trim() !== value) {
          return; // typed on meanwhile
        }
        if (body.ok) {
          checkedCode = value;
          showCodeStatus(true, texts.enterprise.replace("__NAME__", body.enterprise));
        } else {
          showCodeStatus(false, body.message || texts.failed);
        }
      })
      .catch(function () {
        lastChecked = null;
        showCodeStatus(null, texts.failed);
      });
  }

  if (codeInput) {
    if (codeStatus.classList.contains("ok")) {
      checkedCode = codeInput.value.trim();
      lastChecked = checkedCode;
    }
    codeInput.addEventListener("blur", checkCode);
    codeInput.addEventListener("change", checkCode);
    codeInput.addEventListener("input", function () {
      if (codeInput.value.trim() !== checkedCode && projectId.value) {
        // A project belongs to the enterprise of the code: a new code, a new choice.
        projectId.value = "";
        projectName.value = "";
      }
    });
  }

  var searchTimer = null;
  var active = -1;

  function closeSuggestions() {
    suggestions.hidden = true;
    suggestions.innerHTML = "";
    projectName.setAttribute("aria-expanded", "false");
    active = -1;
  }

  function pick(project) {
    projectId.value = String(project.id);
    projectName.value = project.name;
    closeSuggestions();
    // An overseas applicant usually works on this very project.
    var overseasName = byId("overseas_project_name");
    var projectCountry = byId("project_country");
    if (overseas() && overseasName && !overseasName.value.trim()) {
      overseasName.value = project.name;
      overseasName.dispatchEvent(new Event("input"));
      if (projectCountry && !projectCountry.value) {
        projectCountry.value = project.country;
      }
    }
  }

  function showSuggestions(projects) {
    suggestions.innerHTML = "";
    active = -1;
    if (!projects.length) {
      var empty = document.createElement("p");
      empty.className = "hint";
      empty.textContent = texts.noProjects;
      suggestions.appendChild(empty);
    }
    projects.forEach(function (project, index) {
      var option = document.createElement("button");
      option.type = "button";
      option.setAttribute("role", "option");
      option.id = "project-option-" + index;
      option.textContent = project.name + (project.country_name ? " · " + project.country_name : "");
      option.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus until the click picks it
      });
      option.addEventListener("click", function () {
        pick(project);
        projectName.focus();
      });
      suggestions.appendChild(option);
    });
    suggestions.hidden = false;
    projectName.setAttribute("aria-expanded", "true");
  }

  function searchProjects() {
    var code = codeInput ? codeInput.value.trim() : "";
    if (!code) {
      showSuggestions([]);
      suggestions.firstChild.textContent = texts.enterCodeFirst;
      return;
    }
    var query = projectName.value;
    getJSON(form.getAttribute("data-projects-url"), { code: code, q: query })
      .then(function (body) {
        if (projectName.value !== query) {
          return;
        }
        if (body.ok) {
          showSuggestions(body.projects);
          if (!body.projects.length && checkedCode !== code) {
            suggestions.firstChild.textContent = texts.enterCodeFirst;
          }
        } else {
          showSuggestions([]);
          suggestions.firstChild.textContent = body.message || texts.failed;
        }
      })
      .catch(function () {
        closeSuggestions();
      });
  }

  function moveActive(step) {
    var options = suggestions.querySelectorAll("button");
    if (!options.length) {
      return;
    }
    active = (active + step + options.length) % options.length;
    Array.prototype.forEach.call(options, function (option, index) {
      option.classList.toggle("active", index === active);
      option.setAttribute("aria-selected", index === active ? "true" : "false");
    });
    projectName.setAttribute("aria-activedescendant", options[active].id);
  }

  if (projectName) {
    projectName.addEventListener("input", function () {
      projectId.value = ""; // only a picked suggestion sets the project
      clearTimeout(searchTimer);
      searchTimer = setTimeout(searchProjects, 250);
    });
    projectName.addEventListener("focus", function () {
      if (!projectId.value) {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(searchProjects, 0);
      }
    });
    projectName.addEventListener("keydown", function (event) {
      if (suggestions.hidden) {
        return;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        moveActive(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        suggestions.querySelectorAll("button")[active].click();
      } else if (event.key === "Escape") {
        closeSuggestions();
      }
    });
    projectName.addEventListener("blur", function () {
      setTimeout(closeSuggestions, 150);
    });
  }

  // --- 意向评价学会: national societies that assess the chosen field -------------------
  var fieldSelect = byId("field_id");
  var assessingSelect = byId("assessing_society_id");

  function fillSocieties(societies, placeholder) {
    var keep = assessingSelect.value;
    assessingSelect.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = placeholder;
    assessingSelect.appendChild(first);
    societies.forEach(function (society) {
      var option = document.createElement("option");
      option.value = String(society.id);
      option.textContent = society.name;
      assessingSelect.appendChild(option);
    });
    assessingSelect.value = societies.some(function (s) { return String(s.id) === keep; }) ? keep : "";
  }

  function loadSocieties() {
    var fieldId = fieldSelect.value;
    if (!fieldId) {
      fillSocieties([], texts.chooseFieldFirst);
      return;
    }
    getJSON(form.getAttribute("data-societies-url"), { field_id: fieldId })
      .then(function (body) {
        if (fieldSelect.value !== fieldId || !body.ok) {
          return;
        }
        fillSocieties(body.societies, body.societies.length ? texts.chooseSociety : texts.noSociety);
      })
      .catch(function () { /* the server-rendered list stays */ });
  }

  if (fieldSelect && assessingSelect) {
    fieldSelect.addEventListener("change", loadSocieties);
    if (!fieldSelect.value) {
      fillSocieties([], texts.chooseFieldFirst);
    }
  }

  // --- buttons ---------------------------------------------------------------------------
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  var back = byId("back-button");
  if (back) {
    back.addEventListener("click", function (event) {
      if (dirty && !window.confirm(texts.leave)) {
        event.preventDefault();
      }
    });
  }
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) {
      event.preventDefault(); // a double click sends once
      return;
    }
    sent = true;
  });
  window.addEventListener("pageshow", function () { sent = false; });
})();
