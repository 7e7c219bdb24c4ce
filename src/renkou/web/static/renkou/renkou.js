/* Renkou's own script, loaded from the site itself (the Content-Security-Policy allows no inline
   script): behaviour is bound to data attributes, and every page works without it. */
(function () {
  "use strict";
  function bind(root) {
    // the menu groups of the header open on hover and keyboard focus by CSS alone; a tap or click
    // toggles them too (touch screens have no hover), Escape closes them.
    root.querySelectorAll("header nav .menu-head").forEach(function (el) {
      if (el.dataset.menuBound) { return; }
      el.dataset.menuBound = "1";
      el.addEventListener("click", function () {
        var menu = el.parentNode, open = !menu.classList.contains("open");
        document.querySelectorAll("header nav .menu.open").forEach(function (m) {
          m.classList.remove("open");
          m.querySelector(".menu-head").setAttribute("aria-expanded", "false");
        });
        menu.classList.toggle("open", open);
        el.setAttribute("aria-expanded", open ? "true" : "false");
      });
      el.parentNode.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape") { el.parentNode.classList.remove("open"); el.setAttribute("aria-expanded", "false"); el.blur(); }
      });
    });
    // <button type="button" data-print>: open the browser's print dialog (the print stylesheet
    // hides navigation and buttons).
    root.querySelectorAll("[data-print]").forEach(function (el) {
      if (el.dataset.printBound) { return; }
      el.dataset.printBound = "1";
      el.addEventListener("click", function (ev) {
        ev.preventDefault();
        window.print();
      });
    });
  }
  // <textarea data-rule-editor="ID">: an eligibility rule (JSON) edited as conditions and groups;
  // ID names a <script type="application/json"> with the facts, operators and words of the page.
  // The textarea stays the form's field: every change writes the rule back into it.
  function ruleEditor(area) {
    if (area.dataset.ruleBound) { return; }
    var dataEl = document.getElementById(area.dataset.ruleEditor);
    if (!dataEl) { return; }
    area.dataset.ruleBound = "1";
    var cfg = JSON.parse(dataEl.textContent);
    var facts = {};
    cfg.facts.forEach(function (f) { facts[f.code] = f; });
    var root;
    try { root = JSON.parse(area.value || "true"); } catch (e) { return; }  // leave bad JSON to the server
    if (root === true) { root = {all: []}; }
    if (!root.all && !root.any) { root = {all: [root]}; }

    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) { e.className = cls; }
      if (text !== undefined) { e.textContent = text; }
      return e;
    }
    function option(sel, value, label, chosen) {
      var o = el("option", "", label);
      o.value = value;
      if (chosen) { o.selected = true; }
      sel.appendChild(o);
    }
    function save() {
      var items = root.all || root.any;
      area.value = items.length ? JSON.stringify(root) : "true";
    }
    function valueInput(cond) {
      var f = facts[cond.fact] || {kind: "int"};
      var input;
      if (f.kind === "bool") {
        input = el("select");
        option(input, "true", cfg.words.yes, cond.value === true);
        option(input, "false", cfg.words.no, cond.value === false);
        input.addEventListener("change", function () { cond.value = input.value === "true"; save(); });
        if (typeof cond.value !== "boolean") { cond.value = true; }
      } else if (f.kind === "list") {
        input = el("select");
        Object.keys(cfg.values).forEach(function (k) { option(input, k, cfg.values[k], cond.value === k); });
        if (!(cond.value in cfg.values)) { cond.value = Object.keys(cfg.values)[0]; }
        input.addEventListener("change", function () { cond.value = input.value; save(); });
      } else {
        input = el("input");
        input.type = f.kind === "int" ? "number" : (f.kind === "date" ? "date" : "text");
        input.value = Array.isArray(cond.value) ? cond.value.join(",") : (cond.value === undefined ? "" : cond.value);
        input.addEventListener("input", function () {
          var v = input.value.trim();
          if (f.kind === "int") { cond.value = v === "" ? v : parseInt(v, 10); } else { cond.value = v; }
          save();
        });
      }
      input.className = "rule-value";
      return input;
    }
    function condRow(cond, list, index) {
      var row = el("div", "rule-cond");
      var factSel = el("select", "rule-fact");
      cfg.facts.forEach(function (f) { option(factSel, f.code, f.label, f.code === cond.fact); });
      var opSel = el("select", "rule-op");
      function fillOps() {
        opSel.textContent = "";
        var f = facts[cond.fact];
        var ops = f ? f.ops.slice() : Object.keys(cfg.ops);
        if (ops.indexOf(cond.op) < 0 && cfg.ops[cond.op] !== undefined && f && f.kind !== "bool") { ops.push(cond.op); }
        if (ops.indexOf(cond.op) < 0) { cond.op = ops[0]; }
        ops.forEach(function (op) { option(opSel, op, cfg.ops[op], op === cond.op); });
      }
      fillOps();
      var holder = el("span");
      holder.appendChild(valueInput(cond));
      factSel.addEventListener("change", function () {
        cond.fact = factSel.value;
        delete cond.value;
        fillOps();
        holder.textContent = "";
        holder.appendChild(valueInput(cond));
        save();
      });
      opSel.addEventListener("change", function () { cond.op = opSel.value; save(); });
      var rm = el("button", "rule-remove", cfg.words.remove);
      rm.type = "button";
      rm.addEventListener("click", function () { list.splice(list.indexOf(cond), 1); render(); save(); });
      row.appendChild(factSel);
      row.appendChild(opSel);
      row.appendChild(holder);
      row.appendChild(rm);
      return row;
    }
    function groupBox(node, parentList) {
      var box = el("fieldset", "rule-group");
      var key = node.all ? "all" : "any";
      var legend = el("legend");
      var mode = el("select", "rule-mode");
      option(mode, "all", cfg.words.all, key === "all");
      option(mode, "any", cfg.words.any, key === "any");
      mode.addEventListener("change", function () {
        var items = node[key];
        delete node[key];
        key = mode.value;
        node[key] = items;
        save();
      });
      legend.appendChild(mode);
      box.appendChild(legend);
      node[key].forEach(function (child, i) {
        if (child.all || child.any) {
          box.appendChild(groupBox(child, node[key]));
        } else if (child.not !== undefined) {
          var neg = el("div", "rule-not");
          neg.appendChild(el("strong", "", cfg.words.not + " "));
          neg.appendChild(el("code", "", JSON.stringify(child.not)));
          box.appendChild(neg);
        } else {
          box.appendChild(condRow(child, node[key], i));
        }
      });
      var bar = el("div", "rule-bar");
      var add = el("button", "", cfg.words.add);
      add.type = "button";
      add.addEventListener("click", function () {
        node[key].push({fact: cfg.facts[0].code, op: cfg.facts[0].ops[0], value: ""});
        render(); save();
      });
      var grp = el("button", "", cfg.words.group);
      grp.type = "button";
      grp.addEventListener("click", function () {
        node[key].push({any: [{fact: cfg.facts[0].code, op: cfg.facts[0].ops[0], value: ""}]});
        render(); save();
      });
      bar.appendChild(add);
      bar.appendChild(grp);
      if (parentList) {
        var rm = el("button", "rule-remove", cfg.words.remove);
        rm.type = "button";
        rm.addEventListener("click", function () { parentList.splice(parentList.indexOf(node), 1); render(); save(); });
        bar.appendChild(rm);
      }
      box.appendChild(bar);
      return box;
    }
    var mount = el("div", "rule-editor");
    area.parentNode.insertBefore(mount, area);
    var toggle = el("button", "rule-source", cfg.words.source);
    toggle.type = "button";
    toggle.addEventListener("click", function () { area.hidden = !area.hidden; });
    area.hidden = true;
    area.parentNode.insertBefore(toggle, area);
    function render() {
      mount.textContent = "";
      mount.appendChild(groupBox(root, null));
    }
    render();
  }

  function bindAll(root) {
    bind(root);
    root.querySelectorAll("textarea[data-rule-editor]").forEach(ruleEditor);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { bindAll(document); });
  } else {
    bindAll(document);
  }
}());
