#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers at AMQP_URL (default amqp://guest:guest@localhost:5672):
#   1. one already answers: use it;
#   2. a Docker engine runs: `docker compose up -d rabbitmq`;
#   3. rabbitmq-server is installed: start it;
#   4. otherwise say what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

answers() { node scripts/broker-answers.mjs; }

wait_for_broker() {
  for _ in $(seq 1 90); do
    answers && return 0
    sleep 1
  done
  echo "ensure-broker: the broker did not answer within 90 s" >&2
  return 1
}

enable_management() {
  # Best effort: `npm run queues` shows unacked counts only through the management API.
  if command -v rabbitmq-plugins >/dev/null 2>&1; then
    rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 || true
  fi
}

if answers; then
  enable_management
  echo "ensure-broker: RabbitMQ answers" >&2
  exit 0
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "ensure-broker: starting RabbitMQ with docker compose" >&2
  docker compose up -d rabbitmq
  wait_for_broker
  exit 0
fi

if command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-broker: starting the local rabbitmq-server" >&2
  rabbitmq-server -detached || true
  rabbitmqctl await_startup >/dev/null 2>&1 || true
  wait_for_broker
  enable_management
  exit 0
fi

cat >&2 <<'TEXT'
ensure-broker: no RabbitMQ answers at AMQP_URL, and neither Docker nor rabbitmq-server is available.
Install one of them:
  - Docker (then this script runs `docker compose up -d rabbitmq`), or
  - RabbitMQ: https://www.rabbitmq.com/docs/download (Debian/Ubuntu: apt-get install rabbitmq-server),
or set AMQP_URL to a broker you can reach.
TEXT
exit 1
