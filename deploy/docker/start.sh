#!/bin/sh
# Default command of the RealtorOS image: runs the process named by SERVICE.
# docker-compose.yml and the k8s manifests give an explicit command instead.
set -eu
case "${SERVICE:-}" in
  crm|scheduler|ai-agent|mailer|projector|gateway)
    exec node "services/${SERVICE}/src/main.ts" ;;
  web)
    exec node web/build/index.js ;;
  migrate)
    exec node services/projector/src/ops/cli.ts migrate ;;
  *)
    echo "SERVICE must be one of: crm scheduler ai-agent mailer projector gateway web migrate (got '${SERVICE:-}')" >&2
    exit 64 ;;
esac
