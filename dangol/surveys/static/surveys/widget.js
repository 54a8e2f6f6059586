/* Dangol website widget: pops a short survey on any site.
 *
 *   <script src="https://dangol.example/w/SLUG.js" async
 *           data-delay="5" data-position="bottom-right"></script>
 *
 * data-delay: seconds before the popup opens (default 3).
 * data-position: bottom-right (default), bottom-left or center.
 * data-lang: the language to ask in (default: the page's <html lang>).
 *
 * A visitor who answered or closed the survey is not asked again on this site
 * (localStorage). No cookies are sent; the page's styles cannot reach the
 * popup (shadow DOM). Plain ES2017, no dependencies.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.src) return;
  var match = /^(.*)\/w\/([^\/?#]+)\.js(?:[?#].*)?$/.exec(me.src);
  if (!match) return;
  var base = match[1];
  var slug = decodeURIComponent(match[2]);
  var storeKey = "dangol-survey:" + slug;
  var data = me.dataset || {};
  var delay = Math.max(0, parseFloat(data.delay || "3") || 0);
  var position = ["bottom-left", "center"].indexOf(data.position) >= 0
    ? data.position : "bottom-right";

  function remembered() {
    try { return window.localStorage.getItem(storeKey); } catch (e) { return null; }
  }
  function remember(state) {
    try { window.localStorage.setItem(storeKey, state); } catch (e) { /* private mode */ }
  }
  if (remembered()) return;

  var lang = (data.lang || document.documentElement.lang || "").toLowerCase().split("-")[0];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // Branching, as definition.py evaluates it ------------------------------
  function empty(value) {
    return value === undefined || value === null || value === "" ||
      (Array.isArray(value) && !value.length) ||
      (typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length);
  }
  function comparable(answer) {
    if (answer && typeof answer === "object") {
      if ("choice" in answer) return [answer.choice];
      if ("choices" in answer) return answer.choices.slice();
      return Object.keys(answer).map(function (k) { return answer[k]; });
    }
    return [answer];
  }
  function holds(condition, answers) {
    var answer = answers[condition.question];
    if (condition.op === "answered") return !empty(answer);
    if (condition.op === "not_answered") return empty(answer);
    if (answer === undefined || answer === null) return false;
    var values = comparable(answer);
    var target = condition.value;
    var has = function (v) { return values.indexOf(v) >= 0; };
    if (condition.op === "eq") return has(target);
    if (condition.op === "neq") return !has(target);
    if (condition.op === "in") return values.some(function (v) { return target.indexOf(v) >= 0; });
    if (condition.op === "not_in") {
      return !values.some(function (v) { return target.indexOf(v) >= 0; });
    }
    var numbers = values.filter(function (v) { return typeof v === "number"; });
    if (!numbers.length) return false;
    var n = numbers[0];
    return { lt: n < target, lte: n <= target, gt: n > target, gte: n >= target }[condition.op];
  }
  function allHold(conditions, answers) {
    return conditions.every(function (c) { return holds(c, answers); });
  }

  var CSS = [
    ":host{all:initial}",
    ".box{position:fixed;z-index:2147483000;width:min(24rem,calc(100vw - 2rem));",
    "max-height:calc(100vh - 2rem);overflow:auto;background:var(--bg);color:var(--text);",
    "border-radius:.6rem;box-shadow:0 .5rem 2rem rgba(0,0,0,.3);padding:1rem 1.1rem;",
    "font:15px/1.45 system-ui,-apple-system,'Apple SD Gothic Neo','Malgun Gothic',sans-serif}",
    ".bottom-right{right:1rem;bottom:1rem}.bottom-left{left:1rem;bottom:1rem}",
    ".center{left:50%;top:50%;transform:translate(-50%,-50%)}",
    "*{box-sizing:border-box}",
    ".head{display:flex;justify-content:space-between;align-items:flex-start;gap:.5rem}",
    "h2{font-size:1.05rem;margin:0 0 .6rem}",
    ".x{background:none;border:0;color:inherit;font-size:1.4rem;line-height:1;cursor:pointer;",
    "min-width:44px;min-height:44px;margin:-.6rem -.6rem 0 0}",
    "fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;padding:0;margin-bottom:.4rem}",
    ".req{color:#b00020}.help,.ends{color:#4a5466;font-size:.85rem}",
    ".ends{display:flex;justify-content:space-between;margin-top:.2rem}",
    ".scale{display:flex;flex-wrap:wrap;gap:.2rem}",
    ".scale label{flex:1 1 0;min-width:1.6rem;text-align:center;border:1px solid #8a94a6;",
    "border-radius:.35rem;padding:.4rem 0;cursor:pointer;min-height:36px}",
    ".scale input{position:absolute;opacity:0;width:1px;height:1px}",
    ".scale label.on{background:var(--primary);color:#fff;border-color:var(--primary)}",
    ".scale label:focus-within{outline:3px solid #f0a500;outline-offset:1px}",
    ".choice{display:flex;align-items:center;gap:.45rem;padding:.25rem 0;min-height:36px}",
    "textarea,input[type=text]{width:100%;font:inherit;padding:.45rem;border:1px solid #8a94a6;",
    "border-radius:.35rem;background:#fff;color:#1d2330}",
    "table{width:100%;border-collapse:collapse;font-size:.9rem}",
    "th,td{padding:.2rem;text-align:center}th[scope=row]{text-align:left;font-weight:400}",
    ".error{color:#b00020;font-weight:600;margin:.25rem 0}",
    ".summary{border:2px solid #b00020;border-radius:.35rem;padding:.4rem .6rem;margin-bottom:.8rem}",
    ".send{font:inherit;width:100%;padding:.65rem;border-radius:.35rem;cursor:pointer;",
    "border:1px solid var(--primary);background:var(--primary);color:#fff;min-height:44px}",
    "button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f0a500;",
    "outline-offset:2px}",
    "[hidden]{display:none!important}"
  ].join("");

  function open(survey) {
    var host = el("div", { "data-dangol-widget": slug });
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var colors = {};
    ["primary", "background", "text"].forEach(function (key) {
      var value = (survey.colors || {})[key];
      colors[key] = /^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value
        : { primary: "#1f5f8b", background: "#ffffff", text: "#1d2330" }[key];
    });
    var labels = survey.labels;
    var previous = document.activeElement;
    var titleId = "dg-title";
    var fields = {};
    var answers = {};

    var style = el("style", { text: CSS + ".box{--primary:" + colors.primary + ";--bg:" +
      colors.background + ";--text:" + colors.text + "}" });
    var summary = el("div", { "class": "summary", role: "alert", hidden: true });
    var form = el("form", { novalidate: true });
    var box = el("div", {
      "class": "box " + position, role: "dialog", "aria-modal": "true",
      "aria-labelledby": titleId, lang: survey.language
    });

    function close(state) {
      remember(state);
      document.removeEventListener("keydown", onKey, true);
      host.remove();
      if (previous && previous.focus) previous.focus();
    }
    function focusables() {
      return Array.prototype.filter.call(
        box.querySelectorAll("button,input,textarea,select,a[href],[tabindex]"),
        function (node) {
          return !node.disabled && node.tabIndex >= 0 && node.getClientRects().length;
        });
    }
    function onKey(event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close(box.dataset.done ? "answered" : "dismissed");
        return;
      }
      if (event.key !== "Tab") return;
      var items = focusables();
      if (!items.length) return;
      var active = root.activeElement || document.activeElement;
      var first = items[0];
      var last = items[items.length - 1];
      var inside = box.contains(active);
      if (event.shiftKey && (active === first || !inside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !inside)) {
        event.preventDefault();
        first.focus();
      }
    }

    function read(q) {
      var name = "q-" + q.key;
      var checked = function (n) {
        return Array.prototype.filter.call(form.querySelectorAll("input[name='" + n + "']"),
          function (i) { return i.checked; }).map(function (i) { return i.value; });
      };
      if (q.type === "text") return form.querySelector("[name='" + name + "']").value;
      if (q.type === "single") {
        var one = checked(name)[0];
        if (!one) return undefined;
        var answer = { choice: one };
        if (one === "other") answer.other = form.querySelector("[name='" + name + "-other']").value;
        return answer;
      }
      if (q.type === "multiple") {
        var many = checked(name);
        if (!many.length) return undefined;
        var result = { choices: many };
        if (many.indexOf("other") >= 0) {
          result.other = form.querySelector("[name='" + name + "-other']").value;
        }
        return result;
      }
      if (q.type === "matrix") {
        var rows = {};
        q.rows.forEach(function (row) {
          var v = checked(name + "-" + row.key)[0];
          if (v !== undefined) rows[row.key] = parseInt(v, 10);
        });
        return Object.keys(rows).length ? rows : undefined;
      }
      var picked = checked(name)[0];
      return picked === undefined ? undefined : parseInt(picked, 10);
    }

    // Show only the questions the answers so far leave visible.
    function refresh() {
      var context = {};
      var ended = false;
      answers = {};
      survey.questions.forEach(function (q) {
        var visible = !ended && allHold(q.show_if, context);
        fields[q.key].hidden = !visible;
        if (!visible) return;
        var value = read(q);
        if (!empty(value)) {
          answers[q.key] = value;
          context[q.key] = value;
          if (q.end_if.length && allHold(q.end_if, context)) ended = true;
        }
      });
      Array.prototype.forEach.call(form.querySelectorAll(".scale label"), function (label) {
        label.classList.toggle("on", label.querySelector("input").checked);
      });
    }

    function radios(name, values, q, labelFor) {
      return el("div", { "class": "scale" }, values.map(function (n) {
        return el("label", {}, [
          el("input", { type: "radio", name: name, value: String(n),
                        "aria-label": labelFor ? labelFor(n) : null }),
          el("span", { text: q.stars ? n + "\u2605" : String(n) })
        ]);
      }));
    }

    function question(q) {
      var name = "q-" + q.key;
      var id = "dg-" + q.key;
      var legend = el("legend", { id: id + "-label" }, [document.createTextNode(q.text)]);
      if (q.required) {
        legend.appendChild(document.createTextNode(" "));
        legend.appendChild(el("span", { "class": "req", "aria-hidden": "true", text: "*" }));
        legend.appendChild(el("span", { hidden: true, text: "(" + labels.required + ")" }));
      }
      var set = el("fieldset", { id: id, "data-question": q.key }, [legend]);
      if (q.help) set.appendChild(el("p", { "class": "help", text: q.help }));
      set.appendChild(el("p", { "class": "error", id: id + "-error", hidden: true }));
      if (q.type === "text") {
        set.appendChild(el("textarea", { name: name, rows: "3", maxlength: String(q.max_length),
                                         "aria-labelledby": id + "-label" }));
      } else if (q.type === "single" || q.type === "multiple") {
        var kind = q.type === "single" ? "radio" : "checkbox";
        var options = q.choices.slice();
        if (q.allow_other) options.push({ key: "other", label: labels.other });
        options.forEach(function (c) {
          set.appendChild(el("label", { "class": "choice" }, [
            el("input", { type: kind, name: name, value: c.key }),
            document.createTextNode(c.label)
          ]));
        });
        if (q.allow_other) {
          set.appendChild(el("input", { type: "text", name: name + "-other", maxlength: "500",
                                        "aria-label": labels.other }));
        }
      } else if (q.type === "matrix") {
        var head = el("tr", {}, [el("td")].concat(q.scale.map(function (n) {
          return el("th", { scope: "col", text: String(n) });
        })));
        var body = q.rows.map(function (row) {
          return el("tr", {}, [el("th", { scope: "row", text: row.label })].concat(
            q.scale.map(function (n) {
              return el("td", {}, [el("input", { type: "radio", name: name + "-" + row.key,
                value: String(n), "aria-label": row.label + ": " + n })]);
            })));
        });
        set.appendChild(el("table", {}, [el("thead", {}, [head]), el("tbody", {}, body)]));
      } else {
        set.appendChild(radios(name, q.scale, q));
        if (q.low_label || q.high_label) {
          set.appendChild(el("div", { "class": "ends", "aria-hidden": "true" }, [
            el("span", { text: q.low_label }), el("span", { text: q.high_label })]));
        }
      }
      fields[q.key] = set;
      return set;
    }

    function showErrors(body) {
      var named = false;
      survey.questions.forEach(function (q) {
        var set = fields[q.key];
        var note = set.querySelector(".error");
        note.hidden = true;
        note.textContent = "";
        set.removeAttribute("aria-invalid");
        set.removeAttribute("aria-describedby");
      });
      (body.errors || []).forEach(function (problem) {
        var set = fields[problem.field];
        if (!set) return;
        var note = set.querySelector(".error");
        note.textContent = problem.message;
        note.hidden = false;
        set.setAttribute("aria-invalid", "true");
        set.setAttribute("aria-describedby", note.id);
        named = true;
      });
      summary.textContent = named ? labels.check : (body.message || labels.failed);
      summary.hidden = false;
      var first = box.querySelector("[aria-invalid] input, [aria-invalid] textarea");
      (first || box.querySelector(".send")).focus();
    }

    function thank(text) {
      box.dataset.done = "1";
      remember("answered");
      form.remove();
      summary.remove();
      var message = el("p", { tabindex: "-1", role: "status", text: text });
      box.querySelector("h2").textContent = labels.thanks;
      box.appendChild(message);
      message.focus();
    }

    function submit(event) {
      event.preventDefault();
      refresh();
      var button = form.querySelector(".send");
      button.disabled = true;
      button.textContent = labels.sending;
      fetch(base + "/w/" + encodeURIComponent(slug) + "/responses", {
        method: "POST", mode: "cors", credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answers: answers, language: survey.language })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 201) thank(body.thank_you || survey.thank_you);
          else showErrors(body);
        });
      }).catch(function () {
        showErrors({ message: labels.failed });
      }).then(function () {
        button.disabled = false;
        button.textContent = labels.submit;
      });
    }

    survey.questions.forEach(function (q) { form.appendChild(question(q)); });
    form.appendChild(el("button", { type: "submit", "class": "send", text: labels.submit }));
    form.addEventListener("change", refresh);
    form.addEventListener("input", refresh);
    form.addEventListener("submit", submit);
    box.appendChild(el("div", { "class": "head" }, [
      el("h2", { id: titleId, text: survey.title }),
      el("button", { type: "button", "class": "x", "aria-label": labels.close, text: "\u00d7",
                     onclick: function () { close(box.dataset.done ? "answered" : "dismissed"); } })
    ]));
    if (survey.intro) box.appendChild(el("p", { text: survey.intro }));
    box.appendChild(summary);
    box.appendChild(form);
    root.appendChild(style);
    root.appendChild(box);
    document.body.appendChild(host);
    refresh();
    document.addEventListener("keydown", onKey, true);
    var first = focusables()[1] || focusables()[0];
    if (first) first.focus();
  }

  function start() {
    var url = base + "/w/" + encodeURIComponent(slug) + "/survey.json" +
      (lang ? "?lang=" + encodeURIComponent(lang) : "");
    fetch(url, { mode: "cors", credentials: "omit" }).then(function (response) {
      if (!response.ok) return null;
      return response.json();
    }).then(function (survey) {
      if (survey && survey.questions && survey.questions.length && !remembered()) open(survey);
    }).catch(function () { /* the survey is optional: the site keeps working */ });
  }

  window.setTimeout(start, delay * 1000);
})();
