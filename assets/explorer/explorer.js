// The hub's explorer: GraphiQL with the hub's endpoints, header placeholders and example
// operations per role, from the JSON the page carries (no inline script: the page runs
// under `script-src 'self'`, since it holds a token).
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('explorer-config').textContent);
  var http = GraphiQL.createFetcher({ url: config.endpoint });
  config.subscriptionUrl =
    config.subscriptionUrl || location.origin.replace(/^http/, 'ws') + config.endpoint;

  function isSubscription(params) {
    var text = String(params.query || '');
    var name = params.operationName;
    if (name) {
      return new RegExp('subscription\\s+' + name + '\\b').test(text);
    }
    return /^\s*subscription\b/.test(text.replace(/^\s*#.*$/gm, ''));
  }

  // Browsers cannot set headers on a WebSocket: the header editor's token, purpose and
  // case reference travel in `connection_init`, as the hub reads them there.
  function header(headers, name) {
    var wanted = name.toLowerCase();
    for (var key in headers || {}) {
      if (key.toLowerCase() === wanted) return headers[key];
    }
    return undefined;
  }

  function subscribe(params, headers) {
    return {
      subscribe: function (observer) {
        var client = graphqlWs.createClient({
          url: config.subscriptionUrl,
          lazy: true,
          retryAttempts: 0,
          connectionParams: {
            Authorization: header(headers, 'Authorization'),
            purpose: header(headers, 'X-Purpose'),
            caseRef: header(headers, 'X-Case-Ref'),
            language: header(headers, 'Accept-Language'),
          },
        });
        var dispose = client.subscribe(params, {
          next: function (value) { observer.next(value); },
          error: function (error) { observer.error(error); },
          complete: function () { observer.complete(); },
        });
        return {
          unsubscribe: function () {
            dispose();
            client.dispose();
          },
        };
      },
    };
  }

  // A header still holding its placeholder is not sent: the schema loads anonymously
  // until a real token is pasted.
  function filled(headers) {
    var result = {};
    for (var key in headers || {}) {
      if (String(headers[key]).indexOf('<') === -1) result[key] = headers[key];
    }
    return result;
  }

  function fetcher(params, options) {
    var headers = filled(options && options.headers);
    var opts = Object.assign({}, options, { headers: headers });
    return isSubscription(params) ? subscribe(params, headers) : http(params, opts);
  }

  var headers = JSON.stringify(config.headers, null, 2);
  var root = ReactDOM.createRoot(document.getElementById('explorer'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: headers,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
      defaultTabs: config.examples.map(function (example) {
        return { query: example.query, headers: headers };
      }),
    })
  );
})();
