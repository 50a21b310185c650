// The file fields in the page's language, and drag and drop onto the signature field.
// The form works without this script: the browser's own file inputs stay visible then.
(function () {
  function names(input) {
    var list = [];
    for (var i = 0; i < input.files.length; i++) { list.push(input.files[i].name); }
    return list.join(", ");
  }
  var inputs = document.querySelectorAll("input[type=file][data-choose]");
  Array.prototype.forEach.call(inputs, function (input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "file-button";
    button.textContent = input.getAttribute("data-choose");
    // The input keeps the focus and the label; the button is for the mouse only.
    button.tabIndex = -1;
    button.setAttribute("aria-hidden", "true");
    var chosen = document.createElement("span");
    chosen.className = "file-chosen";
    chosen.setAttribute("aria-live", "polite");
    var none = input.getAttribute("data-none");
    function show() { chosen.textContent = names(input) || none; }
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", show);
    input.classList.add("file-hidden");
    input.parentNode.insertBefore(chosen, input.nextSibling);
    input.parentNode.insertBefore(button, chosen);
    show();
  });

  var drop = document.getElementById("drop");
  var input = document.getElementById("signature");
  if (!drop || !input) { return; }
  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      input.dispatchEvent(new Event("change"));
    }
  });
})();
