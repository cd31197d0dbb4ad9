// The version matrix: rows come from the inline JSON (#report-data), are filtered here and shown a page at a
// time, so a page of 10,000 tenants stays responsive. No network, no library: the report opens from file://.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 100;
  var page = 0;
  var $ = function (id) { return document.getElementById(id); };
  function fill(select, names) {
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name; option.textContent = name; select.appendChild(option);
    });
  }
  fill($("f-instance"), data.instances);
  fill($("f-candidate"), data.candidates);
  if (data.instances.length === 1) { $("f-instance").value = data.instances[0]; $("f-instance").disabled = true; }
  var head = document.querySelector("#matrix thead tr");
  data.components.forEach(function (c) {
    var th = document.createElement("th"); th.textContent = c; th.className = "component"; head.appendChild(th);
  });
  function lags(row) { return data.lags[row[1] + "," + row[3]]; }
  function matches(row, f) {
    if (f.instance !== "" && data.instances[row[1]] !== f.instance) return false;
    if (f.candidate !== "" && data.candidates[row[3]] !== f.candidate) return false;
    if (f.role !== "" && data.roles[row[2]] !== f.role) return false;
    if (f.tenant !== "" && row[0].indexOf(f.tenant) < 0) return false;
    if (f.behind > 0) {
      var worst = 0;
      lags(row).forEach(function (n) { if (n !== null && n > worst) worst = n; });
      if (worst < f.behind) return false;
    }
    return true;
  }
  function filters() {
    var behind = parseInt($("f-behind").value, 10);
    return {
      instance: $("f-instance").value, candidate: $("f-candidate").value, role: $("f-role").value,
      tenant: $("f-tenant").value.trim(), behind: isNaN(behind) ? 0 : behind
    };
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td);
    return td;
  }
  function draw() {
    var f = filters();
    var rows = data.rows.filter(function (row) { return matches(row, f); });
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (page >= pages) page = pages - 1;
    var body = document.createElement("tbody");
    rows.slice(page * PAGE, (page + 1) * PAGE).forEach(function (row) {
      var tr = document.createElement("tr");
      tr.dataset.tenant = row[0];
      cell(tr, data.instances[row[1]]);
      var name = cell(tr, "");
      var link = document.createElement("a");
      link.href = data.tenantLink.replace("INSTANCE", encodeURIComponent(data.instances[row[1]])) +
        "#tenant-" + encodeURIComponent(row[0]);
      link.textContent = row[0]; name.appendChild(link);
      if (row[4] > 0) { tr.className = "trouble"; name.title = row[4] + " schema(s) failed, blocked or missing"; }
      cell(tr, data.roles[row[2]]);
      cell(tr, data.candidates[row[3]]);
      var pins = data.pins[row[3]], behind = lags(row);
      data.components.forEach(function (c, i) {
        var version = pins[i];
        if (version === null) { cell(tr, "", "v"); return; }
        var td = cell(tr, version, "v lag" + Math.min(behind[i], 3));
        td.title = behind[i] === 0 ? "newest offered" : behind[i] + " newer version(s) offered";
      });
      body.appendChild(tr);
    });
    var table = $("matrix");
    table.replaceChild(body, table.tBodies[0]);
    $("matrix-count").textContent = rows.length + " of " + data.rows.length + " tenants";
    $("page").textContent = "page " + (page + 1) + " of " + pages;
    $("prev").disabled = page === 0;
    $("next").disabled = page >= pages - 1;
  }
  ["f-instance", "f-candidate", "f-role", "f-behind", "f-tenant"].forEach(function (id) {
    $(id).addEventListener("input", function () { page = 0; draw(); });
    $(id).addEventListener("change", function () { page = 0; draw(); });
  });
  $("prev").addEventListener("click", function () { page -= 1; draw(); });
  $("next").addEventListener("click", function () { page += 1; draw(); });
  draw();
  // A link from the matrix to a tenant's row opens the folded tenant table it sits in.
  function reveal() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var details = target && target.closest("details");
    if (details && !details.open) { details.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
}());
