'use strict';
// The SQL of each scenario exactly as OMS issues it (statement for statement, same text; values
// passed as $n parameters where MikroORM inlines them as literals), captured with
// `npm run bench -- --trace-sql`, which re-checks it on every run of that mode. Responses have
// the same shape as OMS's response mappers produce.
// One file per route: baseline-common.js (auth, history entry, shared mapping),
// baseline-reservations.js, baseline-fulfillment.js, baseline-history.js, baseline-order-detail.js.

module.exports = {
  ...require('./baseline-common'),
  ...require('./baseline-reservations'),
  ...require('./baseline-fulfillment'),
  ...require('./baseline-history'),
  ...require('./baseline-order-detail'),
};
