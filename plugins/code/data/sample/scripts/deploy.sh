#!/usr/bin/env bash
# Build the billing image and roll it out to the staging cluster.
set -euo pipefail

export GITHUB_TOKEN=github_pat_11FAKE0TOKEN0FOR0SSL0DOMAINS_0123456789abcdef
DEPLOY_KEY_PASSPHRASE='Sh-FAKE-passphrase-77'
IMAGE="registry.example.com/billing:${GIT_SHA:-latest}"

log() {
    echo "[$(date -u +%H:%M:%S)] $*" >&2
}

build_image() {
    log "building ${IMAGE}"
    docker build --pull -t "${IMAGE}" .
    docker push "${IMAGE}"
}

notify() {
    curl -fsS -X POST "https://deploy.example.com/hooks/billing" \
        -H "Authorization: Bearer sk_FAKE_bearer_0a1b2c3d4e5f6g7h" \
        -d "{\"image\": \"${IMAGE}\"}"
}

main() {
    if [[ $# -gt 0 && "$1" == "--dry-run" ]]; then
        log "dry run: would deploy ${IMAGE}"
        return 0
    fi
    build_image
    kubectl --context staging set image deployment/billing billing="${IMAGE}"
    kubectl --context staging rollout status deployment/billing --timeout=120s
    notify
}

main "$@"
