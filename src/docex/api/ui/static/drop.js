// Drag and drop onto the signature field; the form works without this script.
(function () {
  var drop = document.getElementById("drop");
  var input = document.getElementById("signature");
  if (!drop || !input) { return; }
  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
  });
})();
