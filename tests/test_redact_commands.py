"""Credentials that command lines hand to programs (``mysql -pX``, ``redis-cli -a X``, netrc
entries, ``openssl -passin pass:X``, ...) are hidden wherever a person reads them, while the
options around them (ports, hosts, file paths) stay readable.

One case per form, in shell text and in exec-form lists; then the real CLI on a folder holding
them all, with every report file, the command output and ``verify``'s output searched for them.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from conftest import convert_ok, run, write_tree

from helmify_flts import redact
from helmify_flts.redact import REDACTED

# --------------------------------------------------------------------------- shell text

COMMANDS = [
    # (id, text, secret fragments that must go, readable fragments that must stay)
    ("mysql-glued", "mysql -pSecA1", ["SecA1"], ["mysql -p"]),
    ("mysql-user-glued", "mysql -u root -pSecA2 appdb", ["SecA2"], ["-u root -p", " appdb"]),
    ("mysqladmin", "mysqladmin -h db -u root -pSecA3 ping", ["SecA3"], ["-h db", "ping"]),
    ("mysqldump-path", "/usr/bin/mysqldump -uroot -pSecA4 --all-databases", ["SecA4"], ["--all-databases"]),
    ("mariadb", "mariadb -h db -pSecA5 -e 'select 1'", ["SecA5"], ["select 1"]),
    ("mysql-quoted", "mysql -u root -p'Sec A6' appdb", ["Sec A6", "A6"], ["-u root", "appdb"]),
    ("mysql-double-quoted", 'mysql -p"SecA7" appdb', ["SecA7"], ["appdb"]),
    ("mysql-continued", "mysql \\\n  -u root \\\n  -pSecA8 \\\n  appdb\n", ["SecA8"], ["-u root", "appdb"]),
    ("mysql-after-kubectl-exec", "kubectl exec -it db -- mysql -u root -pSecA9", ["SecA9"], ["kubectl exec -it db"]),
    ("mysql-in-sh-c", "sh -c \"mysql -u root -pSecA10 -e 'show tables'\"", ["SecA10"], ["show tables"]),
    ("mysql-in-substitution", "n=$(mysql -pSecA11 -N -e 'select 1')", ["SecA11"], ["select 1"]),
    ("mysql-long-option", "mysql --password=SecA12 appdb", ["SecA12"], ["appdb"]),
    ("mysql-pwd-env", "MYSQL_PWD=SecA13 mysql -u root", ["SecA13"], ["mysql -u root"]),
    ("redis-a", "redis-cli -h redis -a SecB1 ping", ["SecB1"], ["-h redis", "ping"]),
    ("redis-pass", "redis-cli --pass SecB2 ping", ["SecB2"], ["ping"]),
    ("redis-quoted", "redis-cli -a 'Sec B3' ping", ["Sec B3", "B3"], ["ping"]),
    ("redis-auth-env", "REDISCLI_AUTH=SecB4 redis-cli ping", ["SecB4"], ["redis-cli ping"]),
    ("redis-auth-command", "redis-cli -h redis AUTH SecB5", ["SecB5"], ["-h redis AUTH"]),
    ("redis-config-set", "redis-cli CONFIG SET requirepass SecB6", ["SecB6"], ["CONFIG SET requirepass"]),
    ("redis-acl", "redis-cli ACL SETUSER app on >SecB7 ~* +@all", ["SecB7"], ["SETUSER app on >", "+@all"]),
    ("redis-conf", "bind 0.0.0.0\nrequirepass SecB8\nmasterauth SecB9\nport 6379\n", ["SecB8", "SecB9"], ["port 6379"]),
    ("netrc-one-line", "machine git.example.com login deploy password SecC1", ["SecC1"], ["login deploy"]),
    (
        "netrc-lines",
        "machine git.example.com\n  login deploy\n  password SecC2\nmachine other\n  login x\n  password SecC3\n",
        ["SecC2", "SecC3"],
        ["login deploy", "machine other"],
    ),
    ("netrc-default", "default login anonymous password SecC4", ["SecC4"], ["login anonymous"]),
    (
        "netrc-heredoc",
        "cat > ~/.netrc <<EOF\nmachine api.example.com login bot password SecC5\nEOF\nchmod 600 ~/.netrc\n",
        ["SecC5"],
        ["login bot", "chmod 600"],
    ),
    ("pgpassword", "PGPASSWORD=SecD1 psql -h db -U app", ["SecD1"], ["psql -h db -U app"]),
    ("pgpassword-quoted", "PGPASSWORD='Sec D2' psql -h db", ["Sec D2", "D2"], ["psql -h db"]),
    ("env-prefix", "env PGPASSWORD=SecD3 pg_dump app", ["SecD3"], ["pg_dump app"]),
    ("export-aws", "export AWS_SECRET_ACCESS_KEY=SecD4\naws s3 ls", ["SecD4"], ["aws s3 ls"]),
    ("aws-configure", "aws configure set aws_secret_access_key SecD5", ["SecD5"], ["aws configure set"]),
    ("sshpass", "sshpass -p SecE1 ssh deploy@host", ["SecE1"], ["ssh deploy@host"]),
    ("sshpass-glued", "sshpass -pSecE2 scp f host:", ["SecE2"], ["scp f host:"]),
    ("htpasswd-b", "htpasswd -b /etc/nginx/htpasswd admin SecE3", ["SecE3"], ["/etc/nginx/htpasswd admin"]),
    ("htpasswd-cb", "htpasswd -cbB -C 10 auth admin SecE4", ["SecE4"], ["-C 10 auth admin"]),
    ("htpasswd-nb", "htpasswd -nb admin SecE5 > auth", ["SecE5"], ["-nb admin", "> auth"]),
    ("openssl-passin", "openssl rsa -in k.pem -passin pass:SecF1 -out k2.pem", ["SecF1"], ["pass:", "-out k2.pem"]),
    ("openssl-passout", "openssl pkcs12 -export -passout pass:SecF2 -out a.p12", ["SecF2"], ["-out a.p12"]),
    ("openssl-k", "openssl enc -aes-256-cbc -k SecF3 -in f", ["SecF3"], ["-in f"]),
    ("openssl-hex-key", "openssl enc -aes-128-cbc -K 0a1bSecF4 -iv 00 -in f", ["SecF4"], ["-iv 00"]),
    ("openssl-passwd", "openssl passwd -6 -salt abc SecF5", ["SecF5"], ["-salt abc"]),
    (
        "keytool",
        "keytool -importcert -keystore ks.jks -storepass SecG1 -keypass SecG2 -noprompt",
        ["SecG1", "SecG2"],
        ["-keystore ks.jks -storepass", "-noprompt"],
    ),
    (
        "keytool-stores",
        "keytool -importkeystore -srckeystore a.p12 -destkeystore /ks/b.jks -srcstorepass SecG4 "
        "-deststorepass SecG5 -truststore /ks/t.jks",
        ["SecG4", "SecG5"],
        ["-srckeystore a.p12 -destkeystore /ks/b.jks -srcstorepass", "-truststore /ks/t.jks"],
    ),
    ("pgpassfile-beside-password", "PGPASSFILE=/etc/pg/pass PGPASSWORD=SecD6 psql", ["SecD6"], ["/etc/pg/pass"]),
    (
        "java-store-properties",
        "ssl.keystore.location=/ks/k.jks\nssl.keystore.password=SecG6\nssl.truststore.location=/ks/t.jks\n",
        ["SecG6"],
        ["ssl.keystore.location=/ks/k.jks", "ssl.truststore.location=/ks/t.jks"],
    ),
    ("ssl-key-in-config", "[client]\nssl-key = SecG8\nssl-ca = /etc/ca.pem\n", ["SecG8"], ["ssl-ca = /etc/ca.pem"]),
    ("keystore-content", "export KEYSTORE_BASE64=SecG7 KEYSTORE=/ks/k.jks", ["SecG7"], ["KEYSTORE=/ks/k.jks"]),
    ("keytool-new", "keytool -storepasswd -new SecG3 -v", ["SecG3"], ["-storepasswd -new", " -v"]),
    ("jarsigner", "jarsigner -storepass SecG4 app.jar alias", ["SecG4"], ["app.jar alias"]),
    ("mongo-p", "mongo -u root -p SecH1 --authenticationDatabase admin", ["SecH1"], ["--authenticationDatabase"]),
    ("mongosh-glued", "mongosh -u root -pSecH2", ["SecH2"], ["-u root"]),
    ("mongodump", "mongodump --host mongo -u app -p SecH3 --out /backup", ["SecH3"], ["--out /backup"]),
    ("psql-url", 'psql "postgresql://app:SecI1@db:5432/app"', ["SecI1"], ["postgresql://app:", "@db:5432/app"]),
    ("psql-conninfo", 'psql "host=db user=app password=SecI2"', ["SecI2"], ["host=db user=app"]),
    (
        "kubectl-from-literal",
        "kubectl create secret generic db --from-literal=password=SecJ1 --from-literal=root=SecJ2",
        ["SecJ1", "SecJ2"],
        ["create secret generic db", "--from-literal=root="],
    ),
    ("kubectl-from-literal-spaced", "kubectl create secret generic db --from-literal user=SecJ3", ["SecJ3"], []),
    ("oc-from-literal", "oc create secret generic s --from-literal=k=SecJ4", ["SecJ4"], ["--from-literal=k="]),
    ("mc-alias", "mc alias set minio http://minio:9000 SecK1 SecK2", ["SecK1", "SecK2"], ["http://minio:9000"]),
    ("mc-config-host", "mc config host add s3 https://s3 SecK3 SecK4 --api S3v4", ["SecK3", "SecK4"], ["S3v4"]),
    ("docker-login", "docker login -u ci -p SecS1 registry.example.com", ["SecS1"], ["registry.example.com"]),
    ("docker-login-glued", "docker login -u ci -pSecS2 reg", ["SecS2"], ["-u ci"]),
    ("helm-registry-login", "helm registry login -u ci -p SecS3 reg", ["SecS3"], ["reg"]),
    ("docker-exec", "docker exec -it db mysql -u root -pSecS4", ["SecS4"], ["docker exec -it db"]),
    (
        "password-stdin",
        "echo SecS5 | docker login -u ci --password-stdin registry.example.com",
        ["SecS5"],
        ["| docker login -u ci --password-stdin registry.example.com"],
    ),
    ("password-stdin-printf", "printf '%s' 'Sec S6' | helm registry login --password-stdin r", ["Sec S6", "S6"], []),
    ("ldap", "ldapsearch -x -D cn=admin,dc=x -w SecT1 -b dc=x", ["SecT1"], ["-b dc=x"]),
    ("ldap-glued", "ldapwhoami -x -wSecT2", ["SecT2"], ["-x"]),
    ("ldappasswd", "ldappasswd -D cn=a -w SecT3 -s SecT4 -a SecT5 uid=u", ["SecT3", "SecT4", "SecT5"], ["uid=u"]),
    ("mosquitto", "mosquitto_pub -h mqtt -p 1883 -u u -P SecT6 -t t -m hi", ["SecT6"], ["-p 1883", "-t t"]),
    ("zip", "zip -P SecT7 out.zip f", ["SecT7"], ["out.zip f"]),
    ("unzip", "unzip -P SecT8 in.zip", ["SecT8"], ["in.zip"]),
    ("7z", "7z x -pSecT9 a.7z", ["SecT9"], ["a.7z"]),
    ("sqlcmd", "/opt/mssql-tools/bin/sqlcmd -S db -U sa -P SecT10 -Q 'select 1'", ["SecT10"], ["-U sa", "select 1"]),
    ("cqlsh", "cqlsh cassandra 9042 -u cassandra -p SecT11", ["SecT11"], ["cassandra 9042"]),
    ("ssh-keygen", "ssh-keygen -t ed25519 -N SecT12 -f key", ["SecT12"], ["-f key"]),
    ("curl-glued-user", "curl -uadmin:SecU1 http://api", ["SecU1"], ["-uadmin:", "http://api"]),
    ("curl-proxy-user", "curl -U proxy:SecU2 http://api", ["SecU2"], ["-U proxy:"]),
    ("curl-oauth2", "curl --oauth2-bearer SecU3 http://api", ["SecU3"], ["http://api"]),
    ("curl-header", 'curl -H "X-Vault-Token: SecU4" http://vault', ["SecU4"], ['-H "X-Vault-Token: ']),
    ("curl-header-spaces", 'curl -H "Authorization: token Sec U5" http://api', ["Sec U5", "U5"], ["http://api"]),
    ("curl-header-gitlab", "curl --header 'PRIVATE-TOKEN: SecU6' https://gitlab", ["SecU6"], ["PRIVATE-TOKEN"]),
    ("curl-cookie", 'curl -H "Cookie: session=SecU7" http://app', ["SecU7"], ["Cookie"]),
    ("wget-header", 'wget --header="X-Auth-Token: SecU8" http://api', ["SecU8"], ["X-Auth-Token"]),
    ("smbclient", "smbclient //srv/share -U bob%SecV1", ["SecV1"], ["-U bob%"]),
    ("smbclient-long", "smbclient //srv/share --user=bob%SecV2", ["SecV2"], ["--user=bob%"]),
    ("vault-login", "vault login SecV3", ["SecV3"], ["vault login"]),
    ("vault-login-pairs", "vault login -method=userpass username=bob password=SecV4", ["SecV4"], ["username=bob"]),
    ("rabbitmq-add-user", "rabbitmqctl add_user app SecV5", ["SecV5"], ["add_user app"]),
    ("rabbitmq-change-password", "rabbitmqctl change_password app SecV6", ["SecV6"], ["change_password app"]),
    ("mc-admin-user", "mc admin user add minio app SecV7", ["SecV7"], ["add minio app"]),
    (
        "sql-with-password",
        "psql -c \"ALTER USER app WITH PASSWORD 'SecW1';\"",
        ["SecW1"],
        ["ALTER USER app WITH PASSWORD '"],
    ),
    (
        "sql-encrypted-password",
        "CREATE USER mlflow WITH ENCRYPTED PASSWORD 'Sec W2';\nGRANT ALL ON DATABASE mlflow TO mlflow;\n",
        ["Sec W2", "W2"],
        ["GRANT ALL ON DATABASE mlflow TO mlflow;"],
    ),
    ("sql-identified-by", "CREATE USER 'app'@'%' IDENTIFIED BY 'SecW3';", ["SecW3"], ["CREATE USER 'app'@'%'"]),
    (
        "sql-identified-with",
        "ALTER USER 'root'@'localhost' IDENTIFIED WITH mysql_native_password BY 'SecW4';",
        ["SecW4"],
        ["mysql_native_password BY"],
    ),
    ("sql-password-function", "SET PASSWORD FOR 'root'@'%' = PASSWORD('SecW5');", ["SecW5"], ["SET PASSWORD FOR"]),
    ("sql-login", "CREATE LOGIN app WITH PASSWORD = 'SecW6';", ["SecW6"], ["CREATE LOGIN app"]),
    (
        "mongo-create-user",
        'mongosh --eval \'db.createUser({user: "app", pwd: "SecW7", roles: ["readWrite"]})\'',
        ["SecW7"],
        ['user: "app"', "readWrite"],
    ),
    (
        "pgpass-heredoc",
        "cat > ~/.pgpass <<EOF\ndb:5432:*:app:SecW8\nEOF\nchmod 600 ~/.pgpass\n",
        ["SecW8"],
        ["db:5432:*:app:", "chmod 600"],
    ),
    ("az-login", "az login --service-principal -u app -p SecY1 --tenant t", ["SecY1"], ["--tenant t"]),
    ("jenkins-auth", "java -jar jenkins-cli.jar -auth admin:SecY2 who-am-i", ["SecY2"], ["-auth admin:", "who-am-i"]),
    ("sqlplus", "sqlplus system/SecY3@//db:1521/XE @init.sql", ["SecY3"], ["sqlplus system/", "@init.sql"]),
    ("sqlldr", "sqlldr userid=scott/SecY4 control=/x/load.ctl", ["SecY4"], ["control=/x/load.ctl"]),
    ("sql-connect", "CONNECT sys/SecY5 AS SYSDBA", ["SecY5"], ["AS SYSDBA"]),
    ("lftp", "lftp -u deploy,SecY6 ftp://host", ["SecY6"], ["-u deploy,", "ftp://host"]),
    ("ipmitool", "ipmitool -I lanplus -H bmc -U admin -P SecY7 power status", ["SecY7"], ["-H bmc", "power status"]),
    ("snmp-v3", "snmpwalk -v3 -u u -a SHA -A SecY8 -x AES -X SecY9 host", ["SecY8", "SecY9"], ["-a SHA", "host"]),
    ("snmp-community", "snmpget -v2c -c SecY10 host sysName.0", ["SecY10"], ["host sysName.0"]),
    ("unrar", "unrar x -pSecY11 a.rar", ["SecY11"], ["a.rar"]),
    ("haproxy-stats", "listen stats\n  stats enable\n  stats auth admin:SecL1\n", ["SecL1"], ["stats auth admin:"]),
    ("haproxy-userlist", "userlist ops\n  user admin insecure-password SecL2\n", ["SecL2"], ["user admin"]),
    ("flag-quoted-spaces", 'serve --db-password "Sec M1 M2" --port 80', ["Sec M1", "M2"], ["--port 80"]),
    (
        "script",
        "#!/bin/sh\nset -e\nuntil mysqladmin ping -h mysql -u root -pSecN1; do sleep 1; done\n"
        "redis-cli -h redis -a SecN2 SET ready 1 && echo done\n",
        ["SecN1", "SecN2"],
        ["set -e", "sleep 1", "echo done", "SET ready 1"],
    ),
]


@pytest.mark.parametrize(("text", "hidden", "kept"), [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_command_forms_in_text(text: str, hidden: list[str], kept: list[str]) -> None:
    shown = redact.text(text)
    assert REDACTED in shown
    for fragment in hidden:
        assert fragment not in shown, shown
    for fragment in kept:
        assert fragment in shown, shown
    assert redact.text(shown) == shown  # redacting twice changes nothing more
    assert not [h for h in hidden if h in redact.message(text)]  # errors quoting the text hide them too


READABLE = [
    # Ports, hosts, users, prompts and files: not credentials.
    "mysql -h db -P 3306 -u root appdb",
    "mysql -u root -p appdb",  # -p alone prompts; appdb is the database
    "redis-cli -h redis-host -p 6380 ping",
    "docker run -p 8080:80 -p8443:443 nginx",
    "ssh -p 2222 deploy@host",
    "nc -z mongo 27017",
    "mongosh -u root -p --authenticationDatabase admin",
    "pg_isready -h db -p 5432",
    "serve --password-file /run/secrets/db --port 80",
    # Options and variables that name a credential's file: the path is no secret.
    "keytool -list -keystore /etc/ssl/ks.jks -storetype PKCS12",
    "jarsigner -keystore ks.p12 app.jar signer",
    "java -jar app.jar --ssl.truststore /etc/ssl/ts.jks --keystore /etc/ssl/ks.jks",
    "PGPASSFILE=/etc/pg/pgpass psql -h db -U app",
    "export PGPASSFILE=/run/secrets/pgpass",
    "export KEYSTOREPATH=/etc/ssl/ks.jks PASSWORDFILE=/run/secrets/pw SSL_TRUSTSTORE=/etc/ssl/ts.jks",
    "GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json gsutil ls",
    "mysql --ssl-key=/etc/mysql/client-key.pem --ssl-cert=/etc/mysql/client.pem -h db",
    "kubectl --client-key /etc/k8s/client.key --client-certificate /etc/k8s/client.crt get pods",
    "docker --tlsverify --tlskey=/certs/key.pem ps",
    "vault login -method=cert -client-cert=/v/c.pem -client-key=/v/k.pem",
    "podman login --authfile /run/auth.json registry.example.com",
    "openssl req -passin env:KEY_PASS -passout file:/run/pass -in r.csr",
    "keytool -list -v -storepass:env STORE_PASS",
    "htpasswd -c /etc/nginx/htpasswd admin",  # interactive: no password on the line
    "kubectl create configmap cfg --from-literal=mode=fast",
    'mc alias set flts http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1',
    "until mysqladmin ping -h mysql -u root -p$MYSQL_ROOT_PASSWORD; do sleep 1; done",
    "mysql -u root -p${MYSQL_ROOT_PASSWORD} -e 'select 1'",
    'redis-cli -a "$REDIS_PASSWORD" ping',
    "the machine stores the password securely",
    "set -euo pipefail",
    "docker run -p 8080:80 -p8443:443 --name mysql mysql:8",
    "docker login -u ci --password-stdin registry.example.com",
    'echo "$REGISTRY_PASSWORD" | docker login -u ci --password-stdin registry.example.com',
    "echo hello | grep h",
    'curl -H "Content-Type: application/json" -H "X-Request-Id: 42" http://api',
    'curl -H "X-Vault-Token: $VAULT_TOKEN" http://vault',
    "ldapsearch -x -s sub -b dc=x",
    "mosquitto_sub -h mqtt -p 1883 -t t",
    "ssh-keygen -t ed25519 -N '' -f key",
    "mc mb minio/bucket && mc cp a minio/bucket/a",
    "vault login -method=oidc",
    "ALTER ROLE app PASSWORD NULL;",
    "sqlplus -S /nolog @init.sql",
    "CONNECT / AS SYSDBA",
    "rman target /",
    "az vm create -n vm -p 22",
    "connect to the db/table later",
    "ALTER DATABASE \"$POSTGRES_DB\" SET statement_timeout TO '60s';",
    'CREATE ROLE r LOGIN PASSWORD "$PW";',
    "SELECT name FROM users ORDER BY 'name';",
    "the password is 'not shown here'",
    "stats uri /haproxy?stats",
]


@pytest.mark.parametrize("text", READABLE)
def test_near_misses_stay_readable(text: str) -> None:
    assert redact.text(text) == text


ENV_NAMES = [
    # (env var name, value, whether the value is shown)
    ("PGPASSFILE", "/etc/pg/pgpass", True),
    ("SSL_KEYSTORE", "/etc/ssl/ks.jks", True),
    ("KAFKA_CFG_SSL_TRUSTSTORE_LOCATION", "/opt/ts.jks", True),
    ("KAFKA_CFG_SSL_KEYSTORE_LOCATION", "/opt/ks.jks", True),
    ("GOOGLE_APPLICATION_CREDENTIALS", "/var/secrets/key.json", True),
    ("PGPASSWORD", "SecQ1", False),
    ("KAFKA_CFG_SSL_KEYSTORE_PASSWORD", "SecQ2", False),
    ("KEYSTORE_BASE64", "SecQ3", False),
    ("AWS_PROFILE_SECRET", "SecQ4", False),
]


SECRET_KEYS = [
    "keyfile",
    "PGPASSFILE",
    "password_file",
    "KEYSTORE_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "ssl-key",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
@pytest.mark.parametrize("where", ["stringData", "data"])
def test_a_secret_keeps_a_file_named_key_hidden(key: str, where: str) -> None:
    """In a Secret the key names the file and the value is the file itself (a MongoDB keyfile)."""
    assert redact.field("Secret", (where, key), "SecR1-file-content") == REDACTED


def test_a_secret_shows_an_address_without_its_password() -> None:
    dsn = "postgresql://app:SecR2@postgres:5432/app"
    assert (
        redact.field("Secret", ("stringData", "DATABASE_URL"), dsn) == f"postgresql://app:{REDACTED}@postgres:5432/app"
    )
    assert redact.field("Secret", ("data", "DATABASE_URL"), "cG9zdGdyZXNxbDovL2FwcA==") == REDACTED


@pytest.mark.parametrize(("name", "value", "shown"), ENV_NAMES, ids=[n for n, _, _ in ENV_NAMES])
def test_env_vars_naming_a_credential_file_stay_readable(name: str, value: str, shown: bool) -> None:
    obj = {"spec": {"containers": [{"name": "c", "env": [{"name": name, "value": value}]}]}}
    expected = value if shown else REDACTED
    assert redact.at("Deployment", obj, ("spec", "containers", 0, "env", 0, "value"), value) == expected


# --------------------------------------------------------------------------- exec-form lists

ARGV = [
    # (id, list of words, expected list as shown)
    ("mysql", ["mysql", "-u", "root", "-pSecP1", "db"], ["mysql", "-u", "root", "-p" + REDACTED, "db"]),
    ("mysql-prompt", ["mysql", "-u", "root", "-p", "db"], ["mysql", "-u", "root", "-p", "db"]),
    ("redis", ["redis-cli", "-a", "SecP2", "ping"], ["redis-cli", "-a", REDACTED, "ping"]),
    ("redis-reference", ["redis-cli", "-a", "$(REDIS_PASSWORD)"], ["redis-cli", "-a", "$(REDIS_PASSWORD)"]),
    ("redis-literal-dollar", ["redis-cli", "-a", "$ecP3"], ["redis-cli", "-a", REDACTED]),  # no shell expands it
    ("sshpass", ["sshpass", "-p", "SecP4", "ssh", "h"], ["sshpass", "-p", REDACTED, "ssh", "h"]),
    ("htpasswd", ["htpasswd", "-nbB", "admin", "SecP5"], ["htpasswd", "-nbB", "admin", REDACTED]),
    ("openssl", ["openssl", "rsa", "-passin", "pass:SecP6"], ["openssl", "rsa", "-passin", "pass:" + REDACTED]),
    ("keytool", ["keytool", "-storepass", "SecP7", "-list"], ["keytool", "-storepass", REDACTED, "-list"]),
    (
        "keytool-keystore",
        ["keytool", "-keystore", "ks.jks", "-storepass", "SecP16", "-keypass", "SecP17"],
        ["keytool", "-keystore", "ks.jks", "-storepass", REDACTED, "-keypass", REDACTED],
    ),
    (
        "keystore-flag",
        ["--keystore", "/ks/k.jks", "--keystore-password", "SecP18"],
        ["--keystore", "/ks/k.jks", "--keystore-password", REDACTED],
    ),
    ("pgpassfile", ["env", "PGPASSFILE=/etc/pgpass", "psql"], ["env", "PGPASSFILE=/etc/pgpass", "psql"]),
    ("mongo", ["mongosh", "-p", "SecP8"], ["mongosh", "-p", REDACTED]),
    (
        "kubectl",
        ["kubectl", "create", "secret", "generic", "s", "--from-literal=k=SecP9"],
        ["kubectl", "create", "secret", "generic", "s", "--from-literal=k=" + REDACTED],
    ),
    ("generic-flag", ["--token", "SecP10", "--port", "80"], ["--token", REDACTED, "--port", "80"]),
    ("env-assignment", ["env", "PGPASSWORD=SecP11", "psql"], ["env", "PGPASSWORD=" + REDACTED, "psql"]),
    (
        "sh-c",
        ["sh", "-c", "mysql -u root -pSecP12 && redis-cli -a SecP13 ping"],
        ["sh", "-c", f"mysql -u root -p{REDACTED} && redis-cli -a {REDACTED} ping"],
    ),
    ("ports", ["nginx", "-p", "8080"], ["nginx", "-p", "8080"]),
    (
        "header",
        ["curl", "-H", "X-Vault-Token: SecP14", "-H", "Accept: json"],
        ["curl", "-H", "X-Vault-Token: " + REDACTED, "-H", "Accept: json"],
    ),
    ("docker-login", ["docker", "login", "-p", "SecP15", "r"], ["docker", "login", "-p", REDACTED, "r"]),
    ("docker-run", ["docker", "run", "-p", "8080:80", "nginx"], ["docker", "run", "-p", "8080:80", "nginx"]),
]


@pytest.mark.parametrize(("words", "expected"), [c[1:] for c in ARGV], ids=[c[0] for c in ARGV])
def test_command_forms_in_lists(words: list[str], expected: list[str]) -> None:
    assert redact.field("Deployment", ("spec", "containers", "args"), words) == expected


def _pod(command: list[str], args: list[str]) -> dict:
    return {"kind": "Pod", "spec": {"containers": [{"name": "c", "command": command, "args": args}]}}


def test_args_continue_the_command() -> None:
    pod = _pod(["mysql"], ["-u", "root", "-pSecQ1"])
    shown = redact.field("Pod", (), pod)
    assert shown["spec"]["containers"][0]["args"] == ["-u", "root", "-p" + REDACTED]
    args = ("spec", "containers", 0, "args")
    assert redact.at("Pod", pod, args, pod["spec"]["containers"][0]["args"]) == ["-u", "root", "-p" + REDACTED]
    assert redact.at("Pod", pod, (*args, 2), "-pSecQ1") == "-p" + REDACTED
    assert redact.at("Pod", pod, (*args, 2), "-pSecQ2") == "-p" + REDACTED  # a changed item, as verify shows it
    assert redact.at("Pod", pod, (*args, 1), "root") == "root"
    redis = _pod(["redis-cli"], ["-a", "SecQ3", "ping"])
    assert redact.at("Pod", redis, ("spec", "containers", "0", "args", "1"), "SecQ3") == REDACTED
    assert redact.at("Pod", redis, ("spec", "containers", "0", "args", "3"), "SecQ4") == "SecQ4"  # appended: a word


def test_items_of_a_long_list_are_judged_in_linear_time() -> None:
    # verify asks for each item of a list in turn: the scan of the list is kept, not redone.
    words = ["mysql"] + ["-v"] * 20_000 + ["-pSecR1"]
    pod = _pod([], words)
    start = time.thread_time()
    shown = [redact.at("Pod", pod, ("spec", "containers", 0, "args", i), w) for i, w in enumerate(words)]
    assert time.thread_time() - start < 10.0
    assert shown[-1] == "-p" + REDACTED and shown[1] == "-v"


# --------------------------------------------------------------------------- linear time

ADVERSARIAL = {
    "programs": "mysql " * 50_000,
    "glued": "mysql " + "-pX " * 75_000,
    "open-quotes": "mysql " + "-p'x " * 60_000,
    "double-quotes": "redis-cli " + '-a "x ' * 50_000,
    "netrc": "machine h login u " + "password " * 30_000,
    "machine-words": "machine " * 40_000,
    "continuations": "mysql \\\n" * 40_000,
    "newlines": "mysql\n" * 50_000,
    "quoted-flags": '--token "' * 33_000,
    "quoted-flags-closed": '--token "a" ' * 25_000,
    "kubectl": "kubectl create secret " + "--from-literal " * 20_000,
    "substitutions": "$(mysql " * 40_000,
    "one-word": "mysql -p" + "x" * 300_000,
    "htpasswd": "htpasswd -b " + "-C " * 75_000,
    "echo-pipes": "echo a | " * 37_000 + "docker login --password-stdin",
    "headers": '-H "X-Token: ' * 25_000,
    "header-words": "curl " + "-H X-Token: " * 25_000,
    "sql-passwords": "PASSWORD '" * 30_000,
    "identified": "IDENTIFIED " + "BY " * 100_000,
    "pgpass": ".pgpass\n" + "a:b:c:d:e\n" * 30_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=list(ADVERSARIAL))
def test_command_scan_is_linear(text: str) -> None:
    # CPU time of this thread, so a busy machine does not count; each input is about 300 KB, which
    # a quadratic scan would need minutes for.
    start = time.thread_time()
    redact.text(text)
    assert time.thread_time() - start < 3.0
    start = time.thread_time()
    redact.field("Deployment", ("spec", "args"), text.split(" "))  # each word also read as text
    assert time.thread_time() - start < 6.0


# --------------------------------------------------------------------------- end to end

SCRIPT = """#!/bin/sh
set -e
until mysqladmin ping -h mysql -P 3306 -u root -pMyGlued{s}; do sleep 1; done
mysql -u root -p'My Quoted{s}' appdb < /init/schema.sql
redis-cli -h redis-host -a RedisA{s} ping
REDISCLI_AUTH=RedisEnv{s} redis-cli -h redis-host ping
PGPASSWORD=PgEnv{s} psql -h db -U app -c 'select 1'
export AWS_SECRET_ACCESS_KEY=AwsExport{s}
sshpass -p SshPass{s} ssh deploy@backup
htpasswd -cb /etc/nginx/htpasswd admin Htpasswd{s}
openssl rsa -in key.pem -passin pass:OpensslIn{s} -passout pass:OpensslOut{s} -out plain.pem
keytool -importcert -keystore ks.jks -storepass KeytoolStore{s} -keypass KeytoolKey{s} -noprompt
mongosh -u root -p MongoP{s} --eval 'db.ping()'
psql "postgresql://app:PsqlUrl{s}@db:5432/app"
kubectl create secret generic app --from-literal=password=Literal{s} --from-literal=api=LiteralApi{s}
cat > ~/.netrc <<EOF
machine git.example.com login deploy password NetrcDoc{s}
EOF
echo RegistryEcho{s} | docker login -u ci --password-stdin registry.example.com
curl -fsS -H "X-Vault-Token: VaultHeader{s}" http://vault:8200/v1/secret/app
psql -c "ALTER USER app WITH PASSWORD 'SqlAlter{s}';"
serve --password-file /run/secrets/db --port 8080
"""

NETRC = "machine api.example.com\n  login bot\n  password NetrcLines{s}\n"


def _manifests(s: str) -> dict[str, str]:
    container = {
        "name": "app",
        "image": "example/app:1.0",
        "command": ["redis-cli"],
        "args": ["-h", "redis-host", "-a", f"ArgvA{s}", "ping"],
        "env": [{"name": "MODE", "value": f"visible{s}"}, {"name": "CMD", "value": f"mysql -u root -pEnvCmd{s}"}],
    }
    init = {
        "name": "init",
        "image": "example/tools:1.0",
        "command": ["sh", "-c", SCRIPT.format(s=s)],
    }
    glued = {"name": "mysql", "image": "mysql:8", "command": ["mysql"], "args": ["-u", "root", f"-pArgvGlued{s}"]}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "labels": {"app": "app"}},
        "spec": {
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}},
                "spec": {"initContainers": [init], "containers": [container, glued]},
            },
        },
    }
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-files"},
        "data": {
            "hosts.txt": NETRC.format(s=s),
            "auth.txt": f"machine h login u password NetrcLine{s}",
            "redis.conf": f"bind 0.0.0.0\nrequirepass RedisConf{s}\nport 6379\n",
            "init.sh": SCRIPT.format(s=s),
        },
    }
    return {"app.yaml": json.dumps(deployment), "files.yaml": json.dumps(configmap)}


SECRETS = [
    "MyGlued",
    "My Quoted",
    "RedisA",
    "RedisEnv",
    "PgEnv",
    "AwsExport",
    "SshPass",
    "Htpasswd",
    "OpensslIn",
    "OpensslOut",
    "KeytoolStore",
    "KeytoolKey",
    "MongoP",
    "PsqlUrl",
    "Literal",
    "LiteralApi",
    "NetrcDoc",
    "NetrcLines",
    "NetrcLine",
    "RedisConf",
    "ArgvA",
    "ArgvGlued",
    "EnvCmd",
    "RegistryEcho",
    "VaultHeader",
    "SqlAlter",
]


def _leaks(text: str, suffix: str) -> list[str]:
    return [s for s in SECRETS if s + suffix in text]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("commands")
    src = write_tree(root / "src", _manifests("Base"))
    dev = write_tree(root / "dev", _manifests("Dev"))
    out = root / "chart"
    result = run("convert", src, out, "--env", f"dev={dev}")
    assert result.exit_code == 0, result.stderr
    return out, result.stdout + result.stderr


def test_the_cli_output_shows_no_command_credential(converted: tuple[Path, str]) -> None:
    _, output = converted
    assert _leaks(output, "Base") == [] and _leaks(output, "Dev") == []


@pytest.mark.parametrize("name", ["helmify-report.md", "helmify-report.json"])
def test_no_command_credential_reaches_the_report(converted: tuple[Path, str], name: str) -> None:
    text = (converted[0] / name).read_text(encoding="utf-8")
    assert _leaks(text, "Base") == []
    assert _leaks(text, "Dev") == []
    assert "visibleBase" in text and "visibleDev" in text  # ordinary values stay


def test_the_report_keeps_what_is_not_a_credential(converted: tuple[Path, str]) -> None:
    text = (converted[0] / "helmify-report.json").read_text(encoding="utf-8")
    for readable in (
        "-P 3306",
        "redis-host",
        "--password-file /run/secrets/db --port 8080",
        "login deploy",
        "port 6379",
        "--password-stdin registry.example.com",
        "http://vault:8200/v1/secret/app",
    ):
        assert readable in text, readable


def test_the_chart_itself_keeps_the_commands(converted: tuple[Path, str]) -> None:
    # Redaction is for what people read; the chart must still reproduce the manifests.
    chart = converted[0]
    values = (chart / "values.yaml").read_text(encoding="utf-8")
    files = "".join(p.read_text(encoding="utf-8") for p in (chart / "templates").glob("*.yaml"))
    files += "".join(p.read_text(encoding="utf-8") for p in (chart / "files").rglob("*") if p.is_file())
    assert "ArgvABase" in values + files and "MyGluedBase" in values + files


def test_verify_prints_no_command_credential(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", _manifests("Base"))
    out = tmp_path / "chart"
    convert_ok(src, out)
    changed = tmp_path / "changed"
    shutil.copytree(src, changed)
    write_tree(changed, _manifests("Changed"))
    result = run("verify", out, changed)
    assert result.exit_code == 1
    assert "visibleChanged" in result.stdout  # the differences are shown
    shown = result.stdout + result.stderr
    assert _leaks(shown, "Base") == [] and _leaks(shown, "Changed") == []
