"""The issue-14 redaction corpus: secret lines per platform with their redacted form, and ordinary lines.

``R`` stands for the marker without a key (``<redacted>``). Each case is (platform, line, expected).
"""

from __future__ import annotations

R = "<redacted>"

SECRET_LINES: list[tuple[str, str, str]] = [
    # Cisco IOS / IOS-XE
    ("cisco_ios", "enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQ", f"enable secret 9 {R}"),
    ("cisco_ios", "enable password 7 0822455D0A16", f"enable password 7 {R}"),
    ("cisco_ios", "username admin privilege 15 secret 9 $9$qq2Hc3eH", f"username admin privilege 15 secret 9 {R}"),
    ("cisco_ios", "username backup password 0 Backup#2026", f"username backup password 0 {R}"),
    (
        "cisco_ios",
        "username ops algorithm-type scrypt secret S3cret!",
        f"username ops algorithm-type scrypt secret {R}",
    ),
    ("cisco_ios", " key 7 045802150C2E1D1C5A", f" key 7 {R}"),
    ("cisco_ios", "tacacs-server key 7 0822455D0A16", f"tacacs-server key 7 {R}"),
    ("cisco_ios", "radius-server host 192.0.2.5 key R4dius", f"radius-server host 192.0.2.5 key {R}"),
    ("cisco_ios", "snmp-server community s3cr3tRO RO 10", f"snmp-server community {R} RO 10"),
    ("cisco_ios", "snmp-server host 192.0.2.20 version 2c TrapComm", f"snmp-server host 192.0.2.20 version 2c {R}"),
    (
        "cisco_ios",
        "snmp-server host 192.0.2.21 vrf MGMT informs version 2c TrapComm udp-port 162",
        f"snmp-server host 192.0.2.21 vrf MGMT informs version 2c {R} udp-port 162",
    ),
    (
        "cisco_ios",
        "snmp-server user u1 g1 v3 auth sha AuthKey1 priv aes 128 PrivKey1",
        f"snmp-server user u1 g1 v3 auth sha {R} priv aes 128 {R}",
    ),
    ("cisco_ios", "  key-string 7 0822455D0A16", f"  key-string 7 {R}"),
    ("cisco_ios", "  key-string Cleartext1", f"  key-string {R}"),
    (
        "cisco_ios",
        " standby 1 authentication md5 key-string HsrpKey",
        f" standby 1 authentication md5 key-string {R}",
    ),
    (
        "cisco_ios",
        " standby 1 authentication md5 key-string 7 0822455D0A16",
        f" standby 1 authentication md5 key-string 7 {R}",
    ),
    ("cisco_ios", " standby 2 authentication text HsrpText", f" standby 2 authentication text {R}"),
    ("cisco_ios", " ip ospf authentication-key 7 0822455D0A16", f" ip ospf authentication-key 7 {R}"),
    ("cisco_ios", " ip ospf message-digest-key 1 md5 7 0822455D0A16", f" ip ospf message-digest-key 1 md5 7 {R}"),
    ("cisco_ios", " neighbor 192.0.2.1 password 7 0822455D0A16", f" neighbor 192.0.2.1 password 7 {R}"),
    ("cisco_ios", "ntp authentication-key 1 md5 NtpKey 7", f"ntp authentication-key 1 md5 {R} 7"),
    ("cisco_ios", "crypto isakmp key IsakmpKey address 192.0.2.7", f"crypto isakmp key {R} address 192.0.2.7"),
    (
        "cisco_ios",
        " pre-shared-key address 192.0.2.8 key KeyringPsk",
        f" pre-shared-key address 192.0.2.8 key {R}",
    ),
    ("cisco_ios", "  pre-shared-key local LocalPsk", f"  pre-shared-key local {R}"),
    ("cisco_ios", " wpa-psk ascii 0 WifiPsk123", f" wpa-psk ascii 0 {R}"),
    ("cisco_ios", "key config-key password-encrypt MasterKey1", f"key config-key password-encrypt {R}"),
    ("cisco_ios", " ppp chap password 0 ChapPw", f" ppp chap password 0 {R}"),
    ("cisco_ios", " ip nhrp authentication NhrpKey", f" ip nhrp authentication {R}"),
    ("cisco_ios", " isis password IsisPw", f" isis password {R}"),
    ("cisco_ios", " domain-password DomPw", f" domain-password {R}"),
    # Arista EOS
    (
        "arista_eos",
        "username admin privilege 15 role network-admin secret sha512 $6$Yx1$abcdef",
        f"username admin privilege 15 role network-admin secret sha512 {R}",
    ),
    ("arista_eos", "enable password sha512 $6$Zq$xyz", f"enable password sha512 {R}"),
    ("arista_eos", "aaa root secret sha512 $6$Rr$root", f"aaa root secret sha512 {R}"),
    ("arista_eos", "snmp-server community public ro", f"snmp-server community {R} ro"),
    ("arista_eos", "tacacs-server host 192.0.2.9 key 7 070C285F4D06", f"tacacs-server host 192.0.2.9 key 7 {R}"),
    (
        "arista_eos",
        "snmp-server user u1 g1 v3 localized 0011 auth sha512 EosAuth priv aes256 EosPriv",
        f"snmp-server user u1 g1 v3 localized 0011 auth sha512 {R} priv aes256 {R}",
    ),
    (
        "arista_eos",
        "radius-server host 192.0.2.5 auth-port 1812 acct-port 1813 key 7 0822455D0A16",
        f"radius-server host 192.0.2.5 auth-port 1812 acct-port 1813 key 7 {R}",
    ),
    # Cisco NX-OS
    (
        "cisco_nxos",
        "username admin password 5 $5$KLJ$Wq9  role network-admin",
        f"username admin password 5 {R}  role network-admin",
    ),
    (
        "cisco_nxos",
        "snmp-server user admin network-admin auth md5 0x6e7b2a priv 0x6e7b2b localizedkey",
        f"snmp-server user admin network-admin auth md5 {R} priv {R} localizedkey",
    ),
    (
        "cisco_nxos",
        "snmp-server host 192.0.2.30 traps version 2c NxTrap udp-port 2162",
        f"snmp-server host 192.0.2.30 traps version 2c {R} udp-port 2162",
    ),
    ("cisco_nxos", 'radius-server host 192.0.2.31 key 7 "VwpRr"', f"radius-server host 192.0.2.31 key 7 {R}"),
    (
        "cisco_nxos",
        "snmp-server user ops network-operator auth sha AuthPass1 priv PrivPass1",
        f"snmp-server user ops network-operator auth sha {R} priv {R}",
    ),
    # Cisco IOS-XR
    ("cisco_xr", " secret 10 $6$Ahfx$Pa0l.SaltHash", f" secret 10 {R}"),
    ("cisco_xr", "  key-string password 08254F4F1A0C1D", f"  key-string password {R}"),
    # Cisco ASA
    (
        "cisco_asa",
        "snmp-server host inside 192.0.2.40 community AsaComm version 2c",
        f"snmp-server host inside 192.0.2.40 community {R} version 2c",
    ),
    (
        "cisco_asa",
        "snmp-server host mgmt 192.0.2.41 poll community 0 AsaPoll",
        f"snmp-server host mgmt 192.0.2.41 poll community 0 {R}",
    ),
    ("cisco_asa", "enable password 8Ry2YjIyt7RRXU24 encrypted", f"enable password {R} encrypted"),
    (
        "cisco_asa",
        "username admin password Xyz.Hash pbkdf2 privilege 15",
        f"username admin password {R} pbkdf2 privilege 15",
    ),
    ("cisco_asa", "passwd 2KFQnbNIdI.2KYOU encrypted", f"passwd {R} encrypted"),
    ("cisco_asa", " ikev1 pre-shared-key TunnelPsk", f" ikev1 pre-shared-key {R}"),
    ("cisco_asa", "failover key FailKey", f"failover key {R}"),
    ("cisco_asa", " ldap-login-password LdapPw", f" ldap-login-password {R}"),
    # Juniper Junos
    ("juniper_junos", "    community public {", f"    community {R} {{"),
    (
        "juniper_junos",
        "set snmp community public authorization read-only",
        f"set snmp community {R} authorization read-only",
    ),
    (
        "juniper_junos",
        '            encrypted-password "$6$abcd$efgh"; ## SECRET-DATA',
        f"            encrypted-password {R}; ## SECRET-DATA",
    ),
    (
        "juniper_junos",
        'set system root-authentication encrypted-password "$6$abcd"',
        f"set system root-authentication encrypted-password {R}",
    ),
    ("juniper_junos", '        secret "$9$Hk5FCA0IEyrvL"; ## SECRET-DATA', f"        secret {R}; ## SECRET-DATA"),
    (
        "juniper_junos",
        'set protocols bgp group EXT authentication-key "$9$dbs2oGUHkPF"',
        f"set protocols bgp group EXT authentication-key {R}",
    ),
    (
        "juniper_junos",
        '    pre-shared-key ascii-text "$9$kP5F"; ## SECRET-DATA',
        f"    pre-shared-key ascii-text {R}; ## SECRET-DATA",
    ),
    ("juniper_junos", '        authentication-password "V3AuthPw";', f"        authentication-password {R};"),
    (
        "juniper_junos",
        'set system ntp authentication-key 1 type md5 value "$9$abcDEF"',
        f"set system ntp authentication-key 1 type md5 value {R}",
    ),
    # Huawei VRP
    (
        "huawei_vrp",
        " local-user patrol password irreversible-cipher $1a$CANARY$x$",
        f" local-user patrol password irreversible-cipher {R}",
    ),
    ("huawei_vrp", " snmp-agent community read cipher %^%#abc%^%#", f" snmp-agent community read cipher {R}"),
    (
        "huawei_vrp",
        " hwtacacs-server shared-key cipher %^%#CANARY%^%#",
        f" hwtacacs-server shared-key cipher {R}",
    ),
    (
        "huawei_vrp",
        " ospf authentication-mode md5 1 cipher %^%#Ospf%^%#",
        f" ospf authentication-mode md5 1 cipher {R}",
    ),
    ("huawei_vrp", " ospf authentication-mode md5 1 plain OspfPlain", f" ospf authentication-mode md5 1 plain {R}"),
    (
        "huawei_vrp",
        " snmp-agent target-host trap address udp-domain 192.0.2.50 params securityname TrapCom v2c",
        f" snmp-agent target-host trap address udp-domain 192.0.2.50 params securityname {R} v2c",
    ),
    (
        "huawei_vrp",
        " snmp-agent usm-user v3 u1 authentication-mode sha cipher %^%#A%^%# privacy-mode aes128 cipher %^%#P%^%#",
        f" snmp-agent usm-user v3 u1 authentication-mode sha cipher {R} privacy-mode aes128 cipher {R}",
    ),
    ("huawei_vrp", " peer 192.0.2.51 password cipher %^%#Bgp%^%#", f" peer 192.0.2.51 password cipher {R}"),
    ("huawei_vrp", " set authentication password cipher $1a$Vty$", f" set authentication password cipher {R}"),
    # H3C Comware
    ("h3c_comware", " password cipher $c$3$Hw0Kdd3c", f" password cipher {R}"),
    ("h3c_comware", " password hash $h$6$Gn3h$Qz", f" password hash {R}"),
    (
        "h3c_comware",
        " primary authentication 192.0.2.60 key cipher $c$3$Rad",
        f" primary authentication 192.0.2.60 key cipher {R}",
    ),
    ("h3c_comware", " super password role network-admin hash $h$6$Su", f" super password role network-admin hash {R}"),
    ("h3c_comware", " snmp-agent community read simple public", f" snmp-agent community read simple {R}"),
    # Palo Alto PAN-OS
    (
        "paloalto_panos",
        "set deviceconfig system snmp-setting access-setting version v2c snmp-community-string PanComm",
        f"set deviceconfig system snmp-setting access-setting version v2c snmp-community-string {R}",
    ),
    (
        "paloalto_panos",
        "set network ike gateway GW1 authentication pre-shared-key key -AQ==Zm9vYmFy",
        f"set network ike gateway GW1 authentication pre-shared-key key {R}",
    ),
    ("paloalto_panos", "set mgt-config users admin phash $1$abcd$efgh", f"set mgt-config users admin phash {R}"),
    ("paloalto_panos", "<phash>$5$ppp$qqq</phash>", f"<phash>{R}</phash>"),
    ("paloalto_panos", "          <key>-AQ==c2VjcmV0</key>", f"          <key>{R}</key>"),
    (
        "paloalto_panos",
        "set shared server-profile ldap L server S bind-password LdapBind",
        f"set shared server-profile ldap L server S bind-password {R}",
    ),
    # Fortinet FortiOS
    ("fortinet", "        set password ENC SH2kDOr0Qf8Ww==", f"        set password ENC {R}"),
    ("fortinet", "        set psksecret ENC bWFuYWdlZA==", f"        set psksecret ENC {R}"),
    ("fortinet", "        set auth-pwd ENC AuthEnc1", f"        set auth-pwd ENC {R}"),
    ("fortinet", "        set priv-pwd ENC PrivEnc1", f"        set priv-pwd ENC {R}"),
    (
        "fortinet",
        'config system snmp community\n    edit 1\n        set name "FortiComm"\n        config hosts\n'
        "            edit 1\n                set ip 192.0.2.70 255.255.255.255\n            next\n        end\n"
        '    next\nend\nconfig system interface\n    edit "port1"\n        set name "port1"',
        f"config system snmp community\n    edit 1\n        set name {R}\n        config hosts\n"
        "            edit 1\n                set ip 192.0.2.70 255.255.255.255\n            next\n        end\n"
        '    next\nend\nconfig system interface\n    edit "port1"\n        set name "port1"',
    ),
    # Check Point Gaia
    ("checkpoint_gaia", "set user admin password-hash $6$rounds$GaiaHash", f"set user admin password-hash {R}"),
    ("checkpoint_gaia", "set expert-password-hash $6$Ex$Pert", f"set expert-password-hash {R}"),
    (
        "checkpoint_gaia",
        "set snmp usm user u1 security-level authPriv auth-pass-type SHA1 auth-pass-phrase GaiaAuth1 "
        "privacy-pass-type AES-128 privacy-pass-phrase GaiaPriv1",
        f"set snmp usm user u1 security-level authPriv auth-pass-type SHA1 auth-pass-phrase {R} "
        f"privacy-pass-type AES-128 privacy-pass-phrase {R}",
    ),
    ("checkpoint_gaia", "add snmp community GaiaComm read-only", f"add snmp community {R} read-only"),
    # Linux
    ("linux", "Key $9$Upper.Case.Keyword", f"Key {R}"),
    ("linux", "root:$6$saltsalt$HashHashHash:19700:0:99999:7:::", f"root:{R}:19700:0:99999:7:::"),
    ("linux", "legacy:ab01FAX.bQRSU:19700:0:99999:7:::", f"legacy:{R}:19700:0:99999:7:::"),
    ("linux", "locked:!$y$j9T$Yz$Abc:19700:0:99999:7:::", f"locked:!{R}:19700:0:99999:7:::"),
    ("linux", "rocommunity LinuxComm default", f"rocommunity {R} default"),
    ("linux", '    set $api_key "k-1234-secret";', f"    set $api_key {R};"),  # nginx variables
    ("linux", "set $upstream_token abc123;", f"set $upstream_token {R};"),
    ("linux", "com2sec readonly default ComSec", f"com2sec readonly default {R}"),
    ("linux", 'createUser snmpv3 SHA "authpass1" AES "privpass1"', f"createUser snmpv3 SHA {R} AES {R}"),
    ("linux", "password: hunter2", f"password: {R}"),
    ("linux", '  "password": "hunter2",', f'  "password": "{R}",'),
    ("linux", "password = hunter two", f"password = {R}"),
    ("linux", "DB_PASSWORD=hunter2", f"DB_PASSWORD={R}"),
    ("linux", "export AWS_SECRET_ACCESS_KEY=AbCd1234", f"export AWS_SECRET_ACCESS_KEY={R}"),
    ("linux", "  api_token: 'tok-123'", f"  api_token: '{R}'"),
    ("linux", "Authorization: Bearer eyJhbGciOi.payload.sig", f"Authorization: Bearer {R}"),
    ("linux", "url=https://backup:S3cr3t@nas.example.com/share", f"url=https://backup:{R}@nas.example.com/share"),
    (
        "linux",
        "git clone ssh://deploy:tok3n@git.example.com/repo.git",
        f"git clone ssh://deploy:{R}@git.example.com/repo.git",
    ),
    ("linux", "mysqldump --user=root --password=DbRoot1 app", f"mysqldump --user=root --password={R} app"),
    ("linux", "admin:$apr1$Q8fj$Htpasswd0", f"admin:{R}"),
    ("linux", "machine nas login backup password N3trc!", f"machine nas login backup password {R}"),
    ("linux", "snmp:\n  community: public", f"snmp:\n  community: {R}"),
    ("linux", "X-Api-Key: abc123def", f"X-Api-Key: {R}"),
    ("linux", "aws_secret_access_key = wJalrXUtnFEMI", f"aws_secret_access_key = {R}"),
    ("linux", "GITHUB_TOKEN=ghp_abcdef", f"GITHUB_TOKEN={R}"),
    ("linux", "wpa_passphrase=WifiPass1", f"wpa_passphrase={R}"),
    # SNMP (collector errors, logs, inventory)
    ("snmp", "snmpwalk -v2c -c public 192.0.2.1 system", f"snmpwalk -v2c -c {R} 192.0.2.1 system"),
    ("snmp", "CommunityData('public', mpModel=1)", f"CommunityData('{R}', mpModel=1)"),
    ("snmp", "UsmUserData('u1', 'AuthPass1', 'PrivPass1')", f"UsmUserData('u1', '{R}', '{R}')"),
    (
        "snmp",
        "UsmUserData('u1', authKey='AuthPass1', privKey='PrivPass1')",
        f"UsmUserData('u1', authKey='{R}', privKey='{R}')",
    ),
    ("snmp", "patrol_snmp_community: public", f"patrol_snmp_community: {R}"),
    ("linux", '{"user": "svc", "secret": "s3cr3t", "port": 22}', f'{{"user": "svc", "secret": "{R}", "port": 22}}'),
]

#: Lines that hold no secret and must stay exactly as they are.
ORDINARY_LINES: list[str] = [
    "set $backend http://app;",
    "set $password_mode strict;",
    "snmp-server location DC1 row 4",
    "snmp-server contact noc@example.com",
    "ip community-list standard CL1 permit 65000:100",
    " neighbor 192.0.2.1 send-community both",
    " neighbor 192.0.2.1 send-community",
    "key chain KC1",
    " key 1",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "PermitRootLogin prohibit-password",
    "password encryption aes",
    "service password-encryption",
    " no password",
    "SSH root login with a password is not permitted",
    " description password-less link to core",
    " ip ospf authentication key-chain KC1",
    " standby 1 authentication md5 key-chain KC1",
    "crypto key generate rsa modulus 2048",
    " snmp-agent community complexity-check disable",
    " ssh server cipher aes256_ctr aes128_ctr",
    "  authentication-key-chains {",
    "      key 1 {",
    "    community CUST-A members 65000:100;",
    " ospf authentication-mode keychain KC1",
    "HostKey /etc/ssh/ssh_host_ed25519_key",
    "daemon:*:19700:0:99999:7:::",
    "root:x:0:0:root:/root:/bin/bash",
    "Last password change                                    : Nov 01, 2026",
    "security passwords min-length 8",
    "ntp trusted-key 1",
    "radius-server host 192.0.2.5 auth-port 1812 acct-port 1813",
    "ip ssh server algorithm hostkey rsa-sha2-512",
    " key-hash ssh-rsa ABCDEF0123",
    "crypto key generate rsa general-keys modulus 2048",
    "username u ssh-key ssh-rsa AAAAB3NzaC1yc2E",
    "aaa authentication login default group tacacs+ local",
    " authentication-mode password",
    " snmp-server group g1 v3 priv read V1",
    "snmp-server host 192.0.2.60 version 3 priv patrol-mon",
    "snmp-server host inside 192.0.2.60 version 3 patrol-mon",
    "Encryption-3DES-AES               : Enabled",
    "    authentication-sha {",
    "    authentication-order [ tacplus password ];",
    "      Community: 65000:100 no-export",
    "      Extended Community: RT:65000:1",
    "Port             Status  Priority Oper-Key  Flag",
    "IPv4 Flow Key Mask    SIP: 255.255.255.255",
    '   "password": null,',
    '{"enable_secret": null, "snmp_community": false}',
    '  "credentials": {',
]
