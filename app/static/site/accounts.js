/* 获取验证码 on the account pages: ask for the code without leaving the page, show the
   answer at the field and count down until another code may be asked for. Without this
   script the button submits its form and the server does the same. */
(function () {
  "use strict";

  function showError(input, message) {
    var row = input.closest(".form-row");
    var error = row.querySelector(".field-error[data-live]");
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.setAttribute("data-live", "");
      error.setAttribute("role", "alert");
      row.appendChild(error);
    }
    error.textContent = message || "";
    error.hidden = !message;
    row.classList.toggle("has-error", Boolean(message) || row.querySelectorAll(".field-error:not([data-live])").length > 0);
  }

  function countDown(button, seconds) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.disabled = true;
    var left = seconds;
    function tick() {
      if (left <= 0) {
        button.textContent = label;
        button.disabled = false;
        return;
      }
      button.textContent = button.getAttribute("data-again").replace("{seconds}", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function submitWithoutScript(button) {
    var flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "send_code";
    flag.value = "1";
    button.form.appendChild(flag);
    button.form.submit();
  }

  document.querySelectorAll("[data-code-button]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var form = button.form;
      var input = document.getElementById(button.getAttribute("data-target"));
      var notice = button.closest(".form-row").querySelector("[data-code-notice]");
      var data = new FormData();
      data.append("purpose", button.getAttribute("data-purpose"));
      data.append("target", input.value);
      data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
      button.disabled = true;

      fetch(button.getAttribute("data-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (body.ok) {
            showError(input, "");
            notice.textContent = body.message;
          } else if (body.field && document.getElementById(body.field) === input) {
            showError(input, body.message);
            notice.textContent = "";
          } else {
            notice.textContent = body.message;
          }
          if (body.retry_after) {
            countDown(button, body.retry_after);
          } else {
            button.disabled = false;
          }
        })
        .catch(function () {
          button.disabled = false;
          submitWithoutScript(button);
        });
    });
  });
})();
