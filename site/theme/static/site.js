// Progressive enhancement for the complaint form, the status lookup and the
// thank-you page. Every page works without it; this only adds comfort.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var text = zh ? {
    required: "请填写此项。", email: "请填写有效的电子邮箱。", contact: "此类型需要留下姓名及电话或邮箱。",
    anonymous: "此类型不能匿名提交。", network: "网络连接失败，内容未提交。您填写的内容已保留，请稍后再试，或拨打服务热线。",
    server: "提交未成功，请检查标出的内容后再试。", down: "服务暂时不可用，内容未提交。您填写的内容已保留，请稍后再试，或拨打服务热线。", sending: "正在提交……", restored: "已恢复您上次未提交的内容。",
    notFound: "未找到该受理编号，请检查后重试。", status: "状态",
    tracking: "受理编号", stage: "当前状态", received: "收到日期", department: "承办部门", deadlines: "办理时限",
    reply: "答复", closed: "办结日期", met: "（已按时完成）", by: "前"
  } : {
    required: "Please fill in this field.", email: "Please enter a valid e-mail address.", contact: "This type needs your name and a phone number or e-mail.",
    anonymous: "This type cannot be sent anonymously.", network: "The connection failed and nothing was sent. What you typed is kept: please try again later, or call the hotline.",
    server: "Sending did not succeed; please check the marked fields and try again.", down: "The service is unavailable just now and nothing was sent. What you typed is kept: please try again later, or call the hotline.", sending: "Sending…", restored: "Your unsent draft was restored.",
    notFound: "No case has this tracking number; please check it and try again.", status: "Status",
    tracking: "Tracking number", stage: "Stage", received: "Received", department: "Department", deadlines: "Time limits",
    reply: "Reply", closed: "Closed", met: " (met)", by: "by "
  };

  function key() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function setError(field, message) {
    var id = field.id + "-error", old = document.getElementById(id);
    if (old) old.remove();
    field.removeAttribute("aria-invalid");
    if (!message) return;
    var p = document.createElement("p");
    p.id = id; p.className = "error-text"; p.textContent = message;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "").replace(id, "") + " " + id).trim());
    (field.closest(".field, fieldset, .choice") || field.parentNode).appendChild(p);
  }

  function validate(form) {
    var ok = true, first = null;
    function fail(el, msg) { setError(el, msg); ok = false; first = first || el; }
    form.querySelectorAll("input, select, textarea").forEach(function (el) { if (el.id) setError(el, ""); });
    var type = form.querySelector("input[name=case_type]:checked");
    var radios = form.querySelectorAll("input[name=case_type]");
    if (!type && radios.length) fail(radios[0], text.required);
    ["category", "description"].forEach(function (n) {
      var el = form.elements[n];
      if (el && !el.value.trim()) fail(el, text.required);
    });
    var email = form.elements.email;
    if (email && email.value && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value)) fail(email, text.email);
    var anon = form.elements.anonymous;
    if (type && anon && anon.checked && !type.hasAttribute("data-anonymous-allowed")) fail(anon, text.anonymous);
    if (type && type.hasAttribute("data-contact-required") && !(anon && anon.checked)) {
      var name = form.elements.name;
      if (!name.value.trim() || !(form.elements.phone.value.trim() || email.value.trim())) fail(name, text.contact);
    }
    if (first) first.focus();
    return ok;
  }

  function status(form, message, isError) {
    var box = form.querySelector(".form-status");
    box.hidden = !message; box.textContent = message || "";
    box.className = "form-status" + (isError ? " error" : "");
  }

  var form = document.querySelector("[data-hotline-form]");
  if (form) {
    var store = form.getAttribute("data-draft-key");
    var idem = form.elements.idempotency_key;
    // The idempotency key lives in this tab's sessionStorage only: a retry
    // or a reload in the tab reuses it, but it is gone with the tab, so a
    // shared computer's localStorage never holds what links a draft to a case.
    var keyStore = store + "-key";
    function keepKey() { try { sessionStorage.setItem(keyStore, idem.value); } catch (e) { /* disabled: a retry may file twice */ } }
    function save() {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "website" || el.type === "hidden") return;
        if (el.type === "radio") { if (el.checked) data[el.name] = el.value; }
        else if (el.type === "checkbox") data[el.name] = el.checked;
        else data[el.name] = el.value;
      });
      try { localStorage.setItem(store, JSON.stringify({ fields: data })); } catch (e) { /* storage full or disabled: the form still works */ }
      keepKey();
    }
    try {
      var draft = JSON.parse(localStorage.getItem(store) || "null");
      if (draft && draft.fields) {
        Object.keys(draft.fields).forEach(function (n) {
          var el = form.elements[n], v = draft.fields[n];
          if (!el) return;
          if (el instanceof RadioNodeList) Array.prototype.forEach.call(el, function (r) { r.checked = r.value === v; });
          else if (el.type === "checkbox") el.checked = !!v;
          else el.value = v;
        });
        status(form, text.restored, false);
      }
    } catch (e) { /* a broken draft is ignored */ }
    // One key per complaint: a retry after a network failure reuses it, so the office gets one case.
    try { idem.value = sessionStorage.getItem(keyStore) || ""; } catch (e) { /* disabled */ }
    if (!idem.value) idem.value = key();
    form.addEventListener("input", save);
    form.addEventListener("change", function (ev) { if (ev.target.getAttribute("aria-invalid")) validate(form); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (form.elements.website.value) return;
      if (!validate(form)) return;
      save();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true; status(form, text.sending, false);
      // JSON gets field-level errors back; the plain form post is the no-JS path.
      var data = {};
      new FormData(form).forEach(function (v, k) { if (v !== "") data[k] = v; });
      if ("anonymous" in data) data.anonymous = true;
      fetch(form.action, { method: "POST", body: JSON.stringify(data), headers: { "Content-Type": "application/json", Accept: "application/json" } })
        .then(function (res) {
          return res.json().catch(function () { return {}; }).then(function (body) {
            if (!res.ok) {
              var errors = body.errors || [];
              errors.forEach(function (e) { var el = form.elements[e.field]; if (el && el.id) setError(el, e.message); });
              // A gateway's error page has no field errors: asking to check the fields would mislead.
              status(form, (errors[0] && errors[0].field === "form" && errors[0].message) || body.message || (res.status >= 500 ? text.down : text.server), true);
              return;
            }
            localStorage.removeItem(store);
            try { sessionStorage.removeItem(keyStore); } catch (e) { /* disabled */ }
            var tracking = body.tracking_number || body.tracking || "";
            location.href = body.redirect || (form.getAttribute("data-thanks") || (zh ? "/thanks/" : "/en/thanks/")) + "?tracking=" + encodeURIComponent(tracking);
          });
        })
        .catch(function () { status(form, text.network, true); })
        .then(function () { button.disabled = false; });
    });
  }

  var lookup = document.querySelector("[data-status-form]");
  if (lookup) {
    var out = document.getElementById("status-result");
    lookup.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var n = lookup.elements.tracking.value.trim().toUpperCase();
      if (!n) { setError(lookup.elements.tracking, text.required); return; }
      setError(lookup.elements.tracking, "");
      out.textContent = text.sending;
      // The stage and deadline names come back in the page's language.
      fetch(lookup.getAttribute("data-status-url") + "/" + encodeURIComponent(n) + "?lang=" + (zh ? "zh" : "en"), { headers: { Accept: "application/json" } })
        .then(function (res) {
          if (res.status === 404) { out.textContent = text.notFound; return; }
          return res.json().then(function (body) {
            out.textContent = "";
            var dl = document.createElement("dl"); dl.className = "facts";
            function fact(label, value) {
              if (!value) return;
              var dt = document.createElement("dt"), dd = document.createElement("dd");
              dt.textContent = label; dd.textContent = value;
              dl.appendChild(dt); dl.appendChild(dd);
            }
            // The same facts, in the same order, as the API's no-JS status page.
            fact(text.tracking, body.tracking);
            fact(text.stage, body.stage && body.stage.name);
            fact(text.received, body.received_on);
            fact(text.department, body.department);
            fact(text.deadlines, (body.deadlines || []).map(function (d) {
              return d.name + (zh ? "：" + d.due_on + text.by : ": " + text.by + d.due_on) + (d.met ? text.met : "");
            }).join(zh ? "；" : "; "));
            fact(text.reply, body.reply);
            fact(text.closed, body.closed_on);
            out.appendChild(dl);
          });
        })
        .catch(function () { out.textContent = text.network; });
    });
  }

  // A tracking number in its canonical form whose check character holds (the
  // weighted sum over GF(32) of casework's tracking.rs is zero). The
  // thank-you page shows nothing else: any text in its address would
  // otherwise be shown as "your tracking number".
  function isTracking(n) {
    var c = "[0-9A-HJKMNP-TV-Z]{3}";
    var m = new RegExp("^[A-Z]{1,4}-([0-9]{4})-(" + c + ")-(" + c + ")-(" + c + ")$").exec(n || "");
    if (!m) return false;
    var digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ", body = m[1] + m[2] + m[3] + m[4], sum = 0;
    for (var i = 0; i < body.length; i++) {
      sum <<= 1;
      if (sum & 32) sum ^= 0x25;
      sum ^= digits.indexOf(body.charAt(i));
    }
    return sum === 0;
  }

  var thanks = document.querySelector("[data-tracking]");
  if (thanks) {
    var number = new URLSearchParams(location.search).get("tracking");
    if (isTracking(number)) { thanks.querySelector("[data-tracking-number]").textContent = number; thanks.hidden = false; }
  }
})();
