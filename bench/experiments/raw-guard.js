'use strict';
// Load with: BENCH_OMS_NODE_ARGS="-r ./bench/experiments/raw-guard.js" npm run bench -- --only=history-page
// Experiment only: the guard's user lookup as one raw statement instead of em.findOne.
const { UsersService } = require('../../dist/identity/users.service');
UsersService.prototype.findActive = async function (id, roles) {
  const rows = await this.em.execute(
    'select id, email, role from users where id = ? and is_active = true limit 1',
    [id],
  );
  const row = rows[0];
  if (!row || (roles && !roles.includes(row.role))) return null;
  return row;
};
