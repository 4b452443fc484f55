#!/usr/bin/env bash
# Start MariaDB and Redis if they are not running, and install Chromium for the browser tests.
set -euo pipefail

if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! mariadb -uroot -e "select 1" >/dev/null 2>&1; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
for _ in $(seq 1 60); do
  if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && mariadb -uroot -e "select 1" >/dev/null 2>&1; then
    break
  fi
  sleep 1
done
redis-cli -h 127.0.0.1 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }
mariadb -uroot -e "select 1" >/dev/null || { echo "MariaDB did not start" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
