#!/bin/sh
# Writes .env with freshly generated secrets, once. Never overwrites an existing .env: the
# ENCRYPTION_KEY in it must stay the same for as long as the stored LMS tokens should be readable.
# Both `npm run start:prod` and `docker compose up` read .env from this folder.
set -eu
cd "$(dirname "$0")/.."
ENV_FILE="${ENV_FILE:-.env}"

if [ -e "$ENV_FILE" ]; then
  echo "$ENV_FILE exists already; keeping it (its ENCRYPTION_KEY protects the stored LMS tokens)."
  exit 0
fi

random_base64() { # 32 random bytes, base64
  if command -v openssl >/dev/null 2>&1; then openssl rand -base64 32
  else head -c 32 /dev/urandom | base64 | tr -d '\n'; echo
  fi
}
random_hex() { # 24 random bytes, hex
  if command -v openssl >/dev/null 2>&1; then openssl rand -hex 24
  else head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; echo
  fi
}

umask 077
cat > "$ENV_FILE" <<ENV
# Written by scripts/init-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Keep this file, and back it up:
# without this ENCRYPTION_KEY the stored LMS tokens cannot be read. Never commit it.
ADMIN_API_TOKEN=sgs_admin_$(random_hex)
ENCRYPTION_KEY=$(random_base64)
SIGNING_KEY=$(random_base64)
ENV
echo "Wrote $ENV_FILE with a new ADMIN_API_TOKEN, ENCRYPTION_KEY and SIGNING_KEY (mode 600)."
echo "Your admin token: grep ADMIN_API_TOKEN $ENV_FILE"
