// The demo site's script: greets the visitor and marks the current link.
(function () {
  'use strict';

  function markCurrent(links, path) {
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute('href') === path) {
        links[i].classList.add('current');
      }
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    var links = document.querySelectorAll('nav a');
    markCurrent(links, window.location.pathname);
    console.log('cdnpipe demo: ' + links.length + ' links');
  });
})();
//# sourceMappingURL=app.js.map
