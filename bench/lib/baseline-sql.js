'use strict';
// The SQL of each scenario exactly as OMS issues it (statement for statement, same text; values
// passed as $n parameters where MikroORM inlines them as literals), captured with
// `npm run bench -- --trace-sql`, which re-checks it on every run of that mode. Responses have
// the same shape as OMS's response mappers produce.
// The routes live in baseline-common.js (auth, history entry, shared mapping), baseline-writes.js
// and baseline-reads.js.

module.exports = {
  ...require('./baseline-common'),
  ...require('./baseline-writes'),
  ...require('./baseline-reads'),
};
