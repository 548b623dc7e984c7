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

  var RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];

  function send(method, url, body, token) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open(method, url);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRFToken", token);
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      if (body !== null) {
        request.setRequestHeader("Content-Type", "application/json");
      }
      request.onload = function () {
        var json = null;
        try {
          json = JSON.parse(request.responseText);
        } catch (_e) {
          json = null;
        }
        resolve({ status: request.status, json: json, text: request.responseText });
      };
      request.onerror = function () {
        reject({ status: 0 });
      };
      request.send(body === null ? null : JSON.stringify(body));
    });
  }

  /* The tus transport: chunks to this server (tus-js-client does offsets, retries, resume). */
  function tusUpload(file, options, finish) {
    var upload = new window.tus.Upload(file, {
      endpoint: options.endpoint,
      chunkSize: options.chunkSize,
      retryDelays: options.retryDelays,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: true,
      metadata: { filename: file.name, filetype: file.type },
      headers: { "X-CSRFToken": options.csrfToken, "X-Requested-With": "XMLHttpRequest" },
      onProgress: options.onProgress,
      onShouldRetry: function (err, attempt, retryOptions) {
        var response = err.originalResponse;
        var code = response ? response.getStatus() : 0;
        var retry = !response || code >= 500 || code === 409 || code === 423 || code === 0;
        if (retry && attempt < retryOptions.retryDelays.length) {
          options.onRetry();
        }
        return retry;
      },
      onError: function (err) {
        var response = err.originalResponse;
        options.onError(response ? response.getStatus() : 0, response ? response.getBody() : "");
      },
      onSuccess: function () {
        finish(upload.url);
      },
    });
    return upload;
  }

  /* The direct transport: parts go straight to S3-compatible storage through addresses this
   * server signs; the server says which parts the storage holds, so a dropped upload resumes. */
  function DirectUpload(file, options) {
    this.file = file;
    this.options = options;
    this.info = null;
    this.url = null;
    this.request = null;
    this.stopped = false;
    this.attempt = 0;
  }

  DirectUpload.prototype.storageKey = function () {
    var f = this.file;
    return "direct-upload::" + this.options.endpoint + "::" + [f.name, f.type, f.size, f.lastModified].join("-");
  };

  DirectUpload.prototype.findPreviousUploads = function () {
    return Promise.resolve([]);
  };

  DirectUpload.prototype.prepare = function () {
    var self = this;
    var token = self.options.csrfToken;
    var known = self.info ? self.info.url : window.localStorage.getItem(self.storageKey());
    var fresh = function () {
      return send("POST", self.options.endpoint, { filename: self.file.name, length: self.file.size }, token).then(
        function (response) {
          if (response.status !== 201) {
            throw { status: response.status, message: response.json && response.json.error };
          }
          window.localStorage.setItem(self.storageKey(), response.json.url);
          return response.json;
        }
      );
    };
    if (!known) {
      return fresh().then(function (info) { self.info = info; });
    }
    return send("GET", known, null, token).then(function (response) {
      if (response.status === 200 && !response.json.complete) {
        self.info = response.json;
        return null;
      }
      window.localStorage.removeItem(self.storageKey());
      self.info = null;
      return fresh().then(function (info) { self.info = info; });
    });
  };

  DirectUpload.prototype.partLength = function (n) {
    var size = this.info.part_size;
    return Math.min(size, this.file.size - (n - 1) * size);
  };

  DirectUpload.prototype.sentBytes = function () {
    var self = this;
    return self.info.parts.reduce(function (sum, part) {
      return part.size === self.partLength(part.number) ? sum + part.size : sum;
    }, 0);
  };

  DirectUpload.prototype.missing = function () {
    var self = this;
    var have = {};
    self.info.parts.forEach(function (part) {
      if (part.size === self.partLength(part.number)) {
        have[part.number] = true;
      }
    });
    var count = Math.ceil(self.file.size / self.info.part_size);
    var numbers = [];
    for (var n = 1; n <= count; n += 1) {
      if (!have[n]) {
        numbers.push(n);
      }
    }
    return numbers;
  };

  DirectUpload.prototype.put = function (n, url) {
    var self = this;
    var size = self.info.part_size;
    var blob = self.file.slice((n - 1) * size, Math.min(n * size, self.file.size));
    var before = self.sentBytes();
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      self.request = request;
      request.open("PUT", url);
      request.upload.onprogress = function (event) {
        self.options.onProgress(before + event.loaded, self.file.size);
      };
      request.onload = function () {
        if (request.status >= 200 && request.status < 300) {
          self.info.parts.push({ number: n, size: blob.size });
          self.attempt = 0;
          resolve();
        } else {
          reject({ status: request.status >= 400 && request.status < 500 ? 503 : request.status });
        }
      };
      request.onerror = function () {
        reject({ status: 0 });
      };
      request.onabort = function () {
        reject({ status: 0, aborted: true });
      };
      request.send(blob);
    });
  };

  DirectUpload.prototype.next = function () {
    var self = this;
    if (self.stopped) {
      return Promise.resolve();
    }
    self.options.onProgress(self.sentBytes(), self.file.size);
    var numbers = self.missing();
    var token = self.options.csrfToken;
    if (!numbers.length) {
      return send("POST", self.info.complete_url, {}, token).then(function (response) {
        if (response.status !== 200) {
          throw { status: response.status, message: response.json && response.json.error };
        }
        window.localStorage.removeItem(self.storageKey());
        self.info = response.json;
        self.options.onSuccess(response.json);
      });
    }
    var batch = numbers.slice(0, 10);
    return send("POST", self.info.sign_url, { parts: batch }, token).then(function (response) {
      if (response.status !== 200) {
        throw { status: response.status, message: response.json && response.json.error };
      }
      var chain = Promise.resolve();
      batch.forEach(function (n) {
        chain = chain.then(function () {
          return self.stopped ? null : self.put(n, response.json.urls[String(n)]);
        });
      });
      return chain.then(function () { return self.next(); });
    });
  };

  DirectUpload.prototype.start = function () {
    var self = this;
    self.stopped = false;
    self.prepare()
      .then(function () {
        self.url = self.info.url;
        return self.next();
      })
      .catch(function (err) {
        if (self.stopped) {
          return;
        }
        var code = err && err.status ? err.status : 0;
        var retry = code === 0 || code >= 500 || code === 409;
        if (retry && self.attempt < self.options.retryDelays.length) {
          self.options.onRetry();
          var delay = self.options.retryDelays[self.attempt];
          self.attempt += 1;
          window.setTimeout(function () { self.start(); }, delay);
          return;
        }
        self.attempt = 0;
        self.options.onError(code, (err && err.message) || "");
      });
  };

  DirectUpload.prototype.abort = function (terminate) {
    var self = this;
    self.stopped = true;
    if (self.request) {
      self.request.abort();
    }
    window.localStorage.removeItem(self.storageKey());
    if (terminate && self.info) {
      return send("DELETE", self.info.url, null, self.options.csrfToken);
    }
    return Promise.resolve();
  };

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

    function done(info) {
      uploading = false;
      cancelButton.hidden = true;
      resumeButton.hidden = true;
      if (!info || !info.complete) {
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
    }

    function finish(url) {
      send("GET", url, null, csrfToken(form)).then(
        function (response) {
          done(response.status === 200 ? response.json : null);
        },
        function () {
          done(null);
        }
      );
    }

    function retrying() {
      say(t("The connection dropped. Reconnecting and continuing where the upload stopped…"));
    }

    function failed(code, body) {
      uploading = false;
      if (code >= 400 && code < 500 && code !== 409 && code !== 423) {
        showError(body && body.length < 500 ? body : t("The upload was refused."));
        progressBox.hidden = true;
        input.value = "";
        say("");
        upload = null;
        return;
      }
      say("");
      showError(t("The connection dropped. Press “Resume upload” to continue where it stopped."));
      resumeButton.hidden = false;
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
      var options = {
        endpoint: root.dataset.endpoint,
        chunkSize: parseInt(root.dataset.chunkSize, 10) || 16 * 1024 * 1024,
        retryDelays: RETRY_DELAYS,
        csrfToken: csrfToken(form),
        onProgress: onProgress,
        onRetry: retrying,
        onError: failed,
        onSuccess: done,
      };
      upload = root.dataset.direct ? new DirectUpload(file, options) : tusUpload(file, options, finish);
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
      }, function () {
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
