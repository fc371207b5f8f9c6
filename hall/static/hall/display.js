// The hall display (/hall/<centre>/display/): polls the board every ~800 ms, redraws the
// latest calls and the waiting counts, and says each new call aloud in Chinese with the
// browser's speech synthesis ("请A017号到3号窗口"). No inline script: CSP.
(function () {
  "use strict";
  var root = document.getElementById("hall-display");
  if (!root) { return; }
  var url = root.dataset.boardUrl;
  var interval = parseInt(root.dataset.interval || "800", 10);
  var windowLabel = document.getElementById("hall-window-label").innerHTML.trim();
  var lastCallId = 0;
  var busy = false;

  document.querySelectorAll("#hall-calls tr[data-call-id]").forEach(function (row) {
    lastCallId = Math.max(lastCallId, parseInt(row.dataset.callId, 10));
  });

  function speak(text) {
    if (!("speechSynthesis" in window)) { return; }
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    utterance.rate = 0.9;
    window.speechSynthesis.speak(utterance);
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    return td;
  }

  function drawCalls(calls) {
    var body = document.getElementById("hall-calls");
    var rows = calls.map(function (call) {
      var tr = document.createElement("tr");
      tr.dataset.callId = call.id;
      tr.appendChild(cell(call.number, "fw-bold"));
      tr.appendChild(cell(windowLabel.replace("__WINDOW__", call.window)));
      tr.appendChild(cell(call.at.slice(11, 16), "fs-6"));
      return tr;
    });
    if (rows.length) { body.replaceChildren.apply(body, rows); }
  }

  function drawWaiting(waiting) {
    document.querySelectorAll("#hall-waiting [data-queue]").forEach(function (item) {
      var count = waiting[item.dataset.queue];
      item.querySelector(".hall-waiting-count").textContent = count === undefined ? "0" : String(count);
    });
  }

  function announce(calls) {
    calls.slice().reverse().forEach(function (call) {
      if (call.id > lastCallId) {
        lastCallId = call.id;
        speak(call.speech);
      }
    });
  }

  function poll() {
    if (busy) { return; }
    busy = true;
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (board) {
        if (!board) { return; }
        drawCalls(board.calls);
        drawWaiting(board.waiting);
        announce(board.calls);
      })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { busy = false; });
  }

  var button = document.getElementById("hall-voice");
  if (button) {
    button.addEventListener("click", function () {
      var note = document.getElementById("hall-voice-note");
      note.textContent = note.dataset.on;
      button.disabled = true;
      speak("");
    });
  }
  window.setInterval(poll, interval);
}());
