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
    reply: "答复", closed: "办结日期", met: "（已按时完成）", by: "前",
    remove: "移除", tooMany: "最多可附 {n} 个文件。", tooLarge: "“{name}”超过 {size}。", total: "全部文件合计超过 {size}。",
    badType: "“{name}”不是可接受的文件类型。", uploading: "上传进度", bytes: " 字节",
    filesFailed: "诉求已受理（受理编号 {t}），但以下文件未能上传：{names}。您填写的内容已保留：可再次提交以重新上传（不会重复受理），也可稍后在案件页面补充。",
    toThanks: "查看受理编号和查询码"
  } : {
    required: "Please fill in this field.", email: "Please enter a valid e-mail address.", contact: "This type needs your name and a phone number or e-mail.",
    anonymous: "This type cannot be sent anonymously.", network: "The connection failed and nothing was sent. What you typed is kept: please try again later, or call the hotline.",
    server: "Sending did not succeed; please check the marked fields and try again.", down: "The service is unavailable just now and nothing was sent. What you typed is kept: please try again later, or call the hotline.", sending: "Sending…", restored: "Your unsent draft was restored.",
    notFound: "No case has this tracking number; please check it and try again.", status: "Status",
    tracking: "Tracking number", stage: "Stage", received: "Received", department: "Department", deadlines: "Time limits",
    reply: "Reply", closed: "Closed", met: " (met)", by: "by ",
    remove: "Remove", tooMany: "At most {n} files can be attached.", tooLarge: "“{name}” is larger than {size}.", total: "The files together are larger than {size}.",
    badType: "“{name}” is not a kind of file we take.", uploading: "Upload progress", bytes: " bytes",
    filesFailed: "Your case was filed (tracking number {t}), but these files could not be sent: {names}. What you typed is kept: send again to retry them (the case is not filed twice), or add them later from the case page.",
    toThanks: "See the tracking number and receipt code"
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
    var files = form.querySelector("[data-evidence]");
    var problem = files && evidenceProblem(files);
    if (problem) fail(files, problem);
    if (first) first.focus();
    return ok;
  }

  // A size as the visitor's file manager shows it, in decimal units like the rulebook.
  function size(n) {
    var f = function (x) { return x.toLocaleString(zh ? "zh-CN" : "en", { maximumFractionDigits: 1 }); };
    return n >= 1e6 ? f(n / 1e6) + " MB" : n >= 1e3 ? f(n / 1e3) + " KB" : n + text.bytes;
  }

  // The rulebook's limits, from the field's data- attributes. The type is a
  // hint from the name or the browser's guess only: the office decides from the bytes.
  function evidenceProblem(input) {
    var list = input.files || [], total = 0, bad = "";
    var num = function (a) { return Number(input.getAttribute(a)); };
    var accept = (input.getAttribute("accept") || "").split(",");
    if (list.length > num("data-max-files")) return text.tooMany.replace("{n}", num("data-max-files"));
    Array.prototype.forEach.call(list, function (f) {
      var ext = "." + (f.name.split(".").pop() || "").toLowerCase();
      total += f.size;
      if (!bad && f.size > num("data-max-file-bytes")) bad = text.tooLarge.replace("{name}", f.name).replace("{size}", input.getAttribute("data-file-size"));
      if (!bad && accept.indexOf(ext) < 0 && accept.indexOf(f.type) < 0) bad = text.badType.replace("{name}", f.name);
    });
    return bad || (total > num("data-max-total-bytes") ? text.total.replace("{size}", input.getAttribute("data-total-size")) : "");
  }

  // The chosen files, each with its size and a button to take it off again.
  // Choosing more adds to the list; DataTransfer rebuilds input.files, and
  // without it (old browsers) the list only shows what the chooser holds.
  function evidenceList(input) {
    var ul = document.createElement("ul"), canEdit = typeof DataTransfer === "function", kept = [];
    ul.className = "evidence-list";
    input.parentNode.insertBefore(ul, input.nextSibling);
    function set(files) {
      if (canEdit) {
        try { var dt = new DataTransfer(); files.forEach(function (f) { dt.items.add(f); }); input.files = dt.files; } catch (e) { canEdit = false; }
      }
      kept = Array.prototype.slice.call(input.files);
      ul.textContent = "";
      kept.forEach(function (f, i) {
        var li = document.createElement("li");
        li.textContent = f.name + " (" + size(f.size) + ") ";
        if (canEdit) {
          var b = document.createElement("button");
          b.type = "button"; b.textContent = text.remove; b.setAttribute("aria-label", text.remove + " " + f.name);
          b.addEventListener("click", function () { set(kept.filter(function (_, j) { return j !== i; })); input.focus(); });
          li.appendChild(b);
        }
        ul.appendChild(li);
      });
      setError(input, evidenceProblem(input));
    }
    input.addEventListener("change", function () {
      var added = Array.prototype.slice.call(input.files);
      // The same file chosen twice is listed once.
      set(kept.filter(function (k) { return !added.some(function (a) { return a.name === k.name && a.size === k.size && a.lastModified === k.lastModified; }); }).concat(added));
    });
    return set;
  }

  // The media type of a file from its first bytes (never its name); "" for
  // anything else. The office checks the whole file again when it arrives.
  var MAGIC = { "image/jpeg": [0xff, 0xd8, 0xff], "image/png": [0x89, 0x50, 0x4e, 0x47], "application/pdf": [0x25, 0x50, 0x44, 0x46] };
  function sniff(f) {
    return f.slice(0, 4).arrayBuffer().then(function (buf) {
      var b = new Uint8Array(buf);
      return Object.keys(MAGIC).filter(function (t) { return MAGIC[t].every(function (x, i) { return b[i] === x; }); })[0] || "";
    });
  }

  // One file to the bucket with its grant: the shared fields, then its
  // type's (Content-Type, policy, signature), the file last as S3 requires.
  // Resolves true when S3 took it.
  function toBucket(grant, f, type, bar) {
    return new Promise(function (resolve) {
      var body = new FormData(), own = grant && grant.types && grant.types[type];
      if (!own) return resolve(false);
      [grant.fields, own].forEach(function (set) { Object.keys(set).forEach(function (k) { body.append(k, set[k]); }); });
      // Its own name stays home: a file name can name the sender.
      body.append("file", f, "file");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", grant.url);
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
      xhr.onload = function () { resolve(xhr.status >= 200 && xhr.status < 300); };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () { resolve(false); };
      xhr.send(body);
    });
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
        // A file cannot be kept in storage (nor written back to its field).
        if (!el.name || el.name === "website" || el.type === "hidden" || el.type === "file") return;
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
          if (!el || el.type === "file") return;
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
    var evidence = form.querySelector("[data-evidence]"), progress = null, setFiles = null;
    var bucket = form.getAttribute("data-evidence-upload") === "bucket";
    if (evidence) {
      setFiles = evidenceList(evidence);
      progress = document.createElement("progress");
      progress.hidden = true; progress.setAttribute("aria-label", text.uploading);
      evidence.parentNode.appendChild(progress);
    }
    form.addEventListener("input", save);
    form.addEventListener("change", function (ev) { if (ev.target.getAttribute("aria-invalid")) validate(form); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (form.elements.website.value) return;
      if (!validate(form)) return;
      save();
      var button = form.querySelector("button[type=submit]");
      var chosen = evidence ? Array.prototype.slice.call(evidence.files) : [];
      button.disabled = true; status(form, text.sending, false);
      if (!bucket || !chosen.length) return send(null, []);
      // To the bucket: a file that is not what it says is refused before anything is sent.
      Promise.all(chosen.map(sniff)).then(function (types) {
        var bad = chosen.filter(function (_, i) { return !types[i]; })[0];
        if (!bad) return send(types, chosen);
        button.disabled = false; status(form, "", false);
        setError(evidence, text.badType.replace("{name}", bad.name)); evidence.focus();
      });
    });

    // The case as JSON (`types` given: the files go to the bucket after it
    // is filed) or, with files for the API, as one multipart post.
    function send(types, chosen) {
      var button = form.querySelector("button[type=submit]");
      // JSON gets field-level errors back; the plain form post is the no-JS path.
      var data = {}, files = !types && evidence && evidence.files.length ? evidence : null;
      new FormData(form).forEach(function (v, k) { if (typeof v === "string" && v !== "") data[k] = v; });
      if ("anonymous" in data) data.anonymous = true;
      var sent;
      if (files) {
        // With files: multipart, the same fields and one `evidence` part per file, by XHR for its upload progress.
        var body = new FormData();
        Object.keys(data).forEach(function (k) { body.append(k, data[k] === true ? "true" : data[k]); });
        Array.prototype.forEach.call(files.files, function (f) { body.append("evidence", f, f.name); });
        progress.hidden = false; progress.removeAttribute("value");
        sent = new Promise(function (resolve, reject) {
          var xhr = new XMLHttpRequest();
          xhr.open("POST", form.action);
          xhr.setRequestHeader("Accept", "application/json");
          xhr.upload.onprogress = function (e) { if (e.lengthComputable) { progress.max = e.total; progress.value = e.loaded; } };
          xhr.onload = function () {
            var b = {}; try { b = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: a gateway's page */ }
            resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, body: b });
          };
          xhr.onerror = xhr.onabort = xhr.ontimeout = reject;
          xhr.send(body);
        });
      } else {
        sent = fetch(form.action, { method: "POST", body: JSON.stringify(data), headers: { "Content-Type": "application/json", Accept: "application/json" } })
          .then(function (res) { return res.json().catch(function () { return {}; }).then(function (b) { return { ok: res.ok, status: res.status, body: b }; }); });
      }
      // On any failure nothing is cleared: the typed fields and the chosen files stay for the retry.
      sent.then(function (res) {
          var body = res.body;
          if (!res.ok) {
            var errors = body.errors || [];
            errors.forEach(function (e) { var el = form.elements[e.field]; if (el && el.id) setError(el, e.message); });
            // A gateway's error page has no field errors: asking to check the fields would mislead.
            status(form, (errors[0] && errors[0].field === "form" && errors[0].message) || body.message || (res.status >= 500 ? text.down : text.server), true);
            return;
          }
          var tracking = body.tracking_number || body.tracking || "";
          // The code never goes into a URL: the thank-you page reads it from this tab's storage.
          if (body.receipt_code) { try { sessionStorage.setItem("hotline-receipt:" + tracking, body.receipt_code); } catch (e) { /* disabled */ } }
          var thanks = body.redirect || (form.getAttribute("data-thanks") || (zh ? "/thanks/" : "/en/thanks/")) + "?tracking=" + encodeURIComponent(tracking);
          return upload(body.uploads || [], types || [], chosen).then(function (failed) {
            if (!failed.length) {
              localStorage.removeItem(store);
              try { sessionStorage.removeItem(keyStore); } catch (e) { /* disabled */ }
              location.href = thanks;
              return;
            }
            // The case is filed; the typed fields, the key (a retry is a replay that gets new grants) and the files not sent stay.
            setFiles(failed);
            status(form, text.filesFailed.replace("{t}", tracking).replace("{names}", failed.map(function (f) { return "“" + f.name + "”"; }).join(zh ? "、" : ", ")), true);
            var a = document.createElement("a");
            a.href = thanks; a.textContent = text.toThanks;
            form.querySelector(".form-status").append(" ", a);
          });
        })
        .catch(function () { status(form, text.network, true); })
        .then(function () { button.disabled = false; if (progress) progress.hidden = true; });
    }

    // Each file with the next grant, one at a time, each with its own
    // progress bar; resolves with the files S3 did not take.
    function upload(grants, types, chosen) {
      var failed = [], box = document.createElement("div");
      if (chosen.length) evidence.parentNode.appendChild(box);
      return chosen.reduce(function (done, f, i) {
        return done.then(function () {
          var bar = document.createElement("progress");
          bar.setAttribute("aria-label", text.uploading + " " + f.name);
          box.appendChild(bar);
          return toBucket(grants[i], f, types[i], bar).then(function (ok) { if (!ok) failed.push(f); });
        });
      }, Promise.resolve()).then(function () { box.remove(); return failed; });
    }
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
    var receipt = document.querySelector("[data-receipt]");
    var code = null;
    try { code = isTracking(number) && sessionStorage.getItem("hotline-receipt:" + number); } catch (e) { /* disabled */ }
    if (receipt && code && /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(code)) {
      receipt.querySelector("[data-receipt-code]").textContent = code;
      receipt.hidden = false;
    }
  }
})();
