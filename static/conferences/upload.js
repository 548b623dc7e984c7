/* Resumable upload of recordings and documents in the admin (tus 1.0 through tus-js-client).
 *
 * Choosing a file starts the upload in chunks to the admin's upload endpoint. The widget shows
 * progress, speed and time left, can cancel, retries by itself after a dropped connection and
 * resumes from the offset the server reports (also after a reload: the upload address is kept
 * in localStorage). When the upload completes, the file input is emptied and the upload's id
 * goes into a hidden field, so saving the form attaches the file without sending it again, and
 * a form error never loses it.
 */
(function () {
  "use strict";

  function t(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function fmt(text, values) {
    return typeof window.interpolate === "function"
      ? window.interpolate(text, values, true)
      : text.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }

  function bytes(n) {
    var units = ["B", "KB", "MB", "GB"];
    var i = 0;
    while (n >= 1000 && i < units.length - 1) {
      n /= 1000;
      i += 1;
    }
    var digits = i === 0 || n >= 100 ? 0 : 1;
    return n.toLocaleString(document.documentElement.lang || undefined, {
      maximumFractionDigits: digits,
      minimumFractionDigits: digits,
    }) + " " + units[i];
  }

  function timeLeft(seconds) {
    if (!isFinite(seconds)) {
      return "";
    }
    if (seconds < 60) {
      return t("less than a minute left");
    }
    var minutes = Math.round(seconds / 60);
    if (minutes < 90) {
      return fmt(
        window.ngettext ? window.ngettext("about %(n)s minute left", "about %(n)s minutes left", minutes)
          : "about %(n)s minutes left",
        { n: minutes }
      );
    }
    var hours = Math.round(minutes / 6) / 10;
    return fmt(t("about %(n)s hours left"), { n: hours.toLocaleString() });
  }

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setup(root) {
    var input = root.querySelector("input[type=file]");
    var hidden = root.querySelector(".resumable-upload-id");
    var status = root.querySelector(".resumable-upload-status");
    var progressBox = root.querySelector(".resumable-upload-progress");
    var bar = progressBox.querySelector("progress");
    var figures = progressBox.querySelector(".resumable-upload-figures");
    var cancelButton = progressBox.querySelector(".resumable-upload-cancel");
    var resumeButton = progressBox.querySelector(".resumable-upload-resume");
    var errorBox = root.querySelector(".resumable-upload-error");
    var form = input.form;
    var maxSize = parseInt(root.dataset.maxSize, 10);
    var upload = null;
    var uploading = false;
    var samples = [];
    var announced = 0;

    if (!window.tus || !window.tus.isSupported || !root.dataset.endpoint) {
      return; // the picker posts the file with the form, as without JavaScript
    }

    function say(text) {
      status.textContent = text;
    }

    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = !text;
    }

    function speed(now, sent) {
      samples.push([now, sent]);
      while (samples.length > 2 && now - samples[0][0] > 8000) {
        samples.shift();
      }
      var first = samples[0];
      var seconds = (now - first[0]) / 1000;
      return seconds > 0.5 ? (sent - first[1]) / seconds : 0;
    }

    function onProgress(sent, total) {
      var percent = total ? Math.floor((sent / total) * 100) : 0;
      bar.value = percent;
      var rate = speed(Date.now(), sent);
      var parts = [
        percent + " %",
        fmt(t("%(sent)s of %(total)s"), { sent: bytes(sent), total: bytes(total) }),
      ];
      if (rate > 0) {
        parts.push(fmt(t("%(speed)s/s"), { speed: bytes(rate) }));
        parts.push(timeLeft((total - sent) / rate));
      }
      figures.textContent = parts.join(" · ");
      // Screen readers hear each quarter, not every progress event.
      var quarter = Math.floor(percent / 25) * 25;
      if (quarter > announced && quarter < 100) {
        announced = quarter;
        say(fmt(t("Uploading: %(percent)s percent done."), { percent: quarter }));
      }
    }

    function finish(url) {
      uploading = false;
      cancelButton.hidden = true;
      resumeButton.hidden = true;
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        var info = {};
        try {
          info = JSON.parse(request.responseText);
        } catch (_e) {
          info = {};
        }
        if (request.status !== 200 || !info.complete) {
          showError(t("The upload could not be completed. Choose the file again."));
          return;
        }
        hidden.value = info.id;
        input.value = "";
        var message = fmt(t("Uploaded: %(name)s (%(size)s). Save the form to attach it."), {
          name: info.filename,
          size: bytes(info.length),
        });
        var durationInput = root.dataset.durationInput && document.getElementById(root.dataset.durationInput);
        if (durationInput) {
          if (info.duration && !durationInput.value) {
            durationInput.value = info.duration;
            message += " " + fmt(t("Duration read from the file: %(duration)s."), { duration: info.duration });
          } else if (info.duration_message) {
            message += " " + info.duration_message;
          }
        }
        bar.value = 100;
        say(message);
      };
      request.send();
    }

    function start(file) {
      showError("");
      hidden.value = "";
      samples = [];
      announced = 0;
      if (maxSize && file.size > maxSize) {
        showError(fmt(t("The file is too large (at most %(size)s)."), { size: bytes(maxSize) }));
        input.value = "";
        return;
      }
      upload = new window.tus.Upload(file, {
        endpoint: root.dataset.endpoint,
        chunkSize: parseInt(root.dataset.chunkSize, 10) || 16 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        removeFingerprintOnSuccess: true,
        storeFingerprintForResuming: true,
        metadata: { filename: file.name, filetype: file.type },
        headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "XMLHttpRequest" },
        onProgress: onProgress,
        onShouldRetry: function (err, attempt, options) {
          var response = err.originalResponse;
          var code = response ? response.getStatus() : 0;
          var retry = !response || code >= 500 || code === 409 || code === 423 || code === 0;
          if (retry && attempt < options.retryDelays.length) {
            say(t("The connection dropped. Reconnecting and continuing where the upload stopped…"));
          }
          return retry;
        },
        onError: function (err) {
          uploading = false;
          var response = err.originalResponse;
          var code = response ? response.getStatus() : 0;
          if (response && code >= 400 && code < 500 && code !== 409 && code !== 423) {
            var body = response.getBody() || "";
            showError(body.length < 500 ? body : t("The upload was refused."));
            progressBox.hidden = true;
            input.value = "";
            say("");
            upload = null;
            return;
          }
          say("");
          showError(t("The connection dropped. Press “Resume upload” to continue where it stopped."));
          resumeButton.hidden = false;
        },
        onSuccess: function () {
          finish(upload.url);
        },
      });
      progressBox.hidden = false;
      cancelButton.hidden = false;
      resumeButton.hidden = true;
      bar.value = 0;
      figures.textContent = "";
      uploading = true;
      say(fmt(t("Uploading %(name)s…"), { name: file.name }));
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          say(fmt(t("Continuing the upload of %(name)s where it stopped…"), { name: file.name }));
        }
        upload.start();
      });
    }

    input.addEventListener("change", function () {
      if (upload && uploading) {
        upload.abort(true);
      }
      if (input.files && input.files.length) {
        start(input.files[0]);
      }
    });

    cancelButton.addEventListener("click", function () {
      if (!upload) {
        return;
      }
      var current = upload;
      upload = null;
      uploading = false;
      current.abort(true).catch(function () {
        return null;
      });
      hidden.value = "";
      input.value = "";
      progressBox.hidden = true;
      showError("");
      say(t("The upload was cancelled."));
      input.focus();
    });

    resumeButton.addEventListener("click", function () {
      if (!upload) {
        return;
      }
      showError("");
      resumeButton.hidden = true;
      uploading = true;
      samples = [];
      say(t("Continuing the upload where it stopped…"));
      upload.start();
    });

    if (form) {
      form.addEventListener("submit", function (event) {
        if (uploading) {
          event.preventDefault();
          showError(t("Wait until the upload has finished before saving."));
          errorBox.scrollIntoView({ block: "center" });
        }
      });
    }
  }

  function init() {
    document.querySelectorAll(".resumable-upload").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
