#!/usr/bin/env bash
# Re-read every text of the templates, scripts and error codes into the message catalogues
# (server/locale/*/LC_MESSAGES/messages.po, web/static/i18n/*.json), then list what is left to
# translate. New texts arrive untranslated ("" in the .po and .json files): fill them in.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c "from server.cli import main; main()" i18n extract
.venv/bin/python -c "from server.cli import main; main()" i18n check || true
