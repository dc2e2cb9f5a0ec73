// Concierge's page script: send the session's CSRF token with every state-changing
// request this page makes to its own origin (docs/security.md). The server sets the
// token in the `concierge_csrf` cookie (SameSite=Strict) and checks it against the
// `X-CSRF-Token` header: a page on another origin can neither read the cookie nor set
// the header on a request here. Loaded before Chainlit's app, so every request has it.
(function () {
  "use strict";
  var UNSAFE = { POST: 1, PUT: 1, PATCH: 1, DELETE: 1 };

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)concierge_csrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function ours(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    var method = ((init && init.method) || (input instanceof Request ? input.method : "GET")).toUpperCase();
    var url = input instanceof Request ? input.url : String(input);
    var token = csrfToken();
    if (UNSAFE[method] && token && ours(url)) {
      init = Object.assign({}, init);
      var headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
      headers.set("X-CSRF-Token", token);
      init.headers = headers;
    }
    return originalFetch.call(this, input, init);
  };

  var originalOpen = XMLHttpRequest.prototype.open;
  var originalSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this._conciergeUnsafe = !!UNSAFE[String(method).toUpperCase()] && ours(url);
    return originalOpen.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var token = csrfToken();
    if (this._conciergeUnsafe && token) {
      this.setRequestHeader("X-CSRF-Token", token);
    }
    return originalSend.apply(this, arguments);
  };
})();
