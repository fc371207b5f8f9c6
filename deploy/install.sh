#!/usr/bin/env bash
# Installs OneWindow on a Debian 12 host as systemd services behind nginx:
#   sudo deploy/install.sh          # then edit /etc/onewindow/onewindow.env and rerun
# Idempotent: running it again upgrades the code's environment, migrates and restarts.
set -euo pipefail
APP=/srv/onewindow/app
SOURCE="$(cd "$(dirname "$0")/.." && pwd)"

apt-get install -y --no-install-recommends python3 python3-venv postgresql redis-server nginx \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
id onewindow >/dev/null 2>&1 || useradd --system --home /srv/onewindow --shell /usr/sbin/nologin onewindow
install -d -o onewindow -g onewindow /srv/onewindow /srv/onewindow/var /srv/onewindow/backups
install -d -m 0750 /etc/onewindow
if [ ! -f /etc/onewindow/onewindow.env ]; then
    install -m 0600 "$SOURCE/deploy/onewindow.env.example" /etc/onewindow/onewindow.env
    echo "Fill in /etc/onewindow/onewindow.env (SECRET_KEY, DATABASE_URL...), then run this again."
    exit 1
fi
rsync -a --delete --exclude .venv --exclude .git --exclude var "$SOURCE/" "$APP/"
chown -R onewindow:onewindow "$APP"
sudo -u onewindow python3 -m venv "$APP/.venv"
# Editable: the settings find templates, static files and translations beside the code.
sudo -u onewindow "$APP/.venv/bin/pip" install --quiet -e "$APP[full]"
set -a; . /etc/onewindow/onewindow.env; set +a
cd "$APP"
sudo -E -u onewindow .venv/bin/python manage.py migrate --no-input
sudo -E -u onewindow .venv/bin/python manage.py collectstatic --no-input
sudo -E -u onewindow .venv/bin/python manage.py check --deploy --fail-level WARNING
install -m 0644 "$SOURCE"/deploy/systemd/* /etc/systemd/system/
install -m 0644 "$SOURCE/deploy/nginx/onewindow.conf" /etc/nginx/sites-available/onewindow.conf
ln -sf /etc/nginx/sites-available/onewindow.conf /etc/nginx/sites-enabled/onewindow.conf
systemctl daemon-reload
systemctl enable --now onewindow.target onewindow-backup.timer
systemctl restart onewindow.target
nginx -t && systemctl reload nginx
echo "OneWindow is running: systemctl status 'onewindow-*'"
