# Browser tests need Debian's chromium; install it when missing and allowed (CI, root).
if [ ! -x /usr/bin/chromium ]; then
  if [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ]; then
    echo "==> installing chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium is missing; browser tests will be skipped (apt-get install chromium)" >&2
  fi
fi
