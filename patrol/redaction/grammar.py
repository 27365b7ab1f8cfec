"""Secret grammars: the syntaxes that carry a secret value, one table per platform family, as data.

Each :class:`Rule` is a regular expression whose named groups ``v`` (and ``v2`` where one line
holds two secrets) span the secret values; everything else a rule matches is kept, so keywords
(``key``, ``key-string``, ``community``) and neighbouring fields (trap host addresses, user names)
stay readable. The engine (:mod:`patrol.redaction.engine`) joins every rule into one alternation,
compiled once and matched against the lower-cased line (so every literal here is lower case); a
line is only examined when it holds one of :data:`TRIGGERS`. Rules are tried left to right on a
line; at one position the first rule listed that matches wins, so platform rules come before the
generic ones. Groups named ``v…`` (``v``, ``v2``, ``vq``) are secret spans; other groups are kept,
except ``lc``: a match is dropped when that span is not lower case in the original line.

The syntaxes follow the vendors' command references and the password and community line
expressions of RANCID (kept in netconan's ``default_pwd_regexes``), rewritten with a value span
(RANCID's later ones only flag the whole line) and with the false positives of the issue-14 corpus
ruled out (``key chain NAME``, ``send-community``, ``pre-shared-key key X`` keeps ``key``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BLOCKS", "GRAMMARS", "SECRET_KEY", "TRIGGERS", "BlockRule", "Rule", "all_rules"]


@dataclass(frozen=True)
class Rule:
    """One secret syntax: ``pattern`` marks the secret(s) with the groups ``v`` / ``v2``."""

    name: str
    #: names of :data:`TRIGGERS`; the rule is tried on a line only when one of them is in it
    triggers: tuple[str, ...]
    pattern: str


# A value: a double- or single-quoted string, or a bare token that does not start like a separator.
_QUOTED = r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
_TOKEN = r"(?![=:{\[\]})])[^\s;]++"


def _value(name: str = "v", token: str = _TOKEN) -> str:
    return rf"(?P<{name}>{_QUOTED}|{token})"


def _inner(name: str = "v", token: str = r"(?!)") -> str:
    """A value whose quotes (JSON, YAML, code) stay around the marker: the groups span the inside."""
    return rf"(?:\"(?P<{name}>(?:[^\"\\\n]|\\.)*)\"|'(?P<{name}q>[^'\n]*)'|(?P<{name}t>{token}))"


V = _value()
# Words that follow a secret keyword in prose or as a sub-keyword, never a value:
# "a password is not permitted", "password encryption aes", "key chain KC", "crypto key generate rsa",
# "pre-shared-key key X", "pre-shared-key address 192.0.2.1 key X".
_NOT_A_VALUE = (
    r"(?!(?:is|are|was|be|been|for|of|to|the|a|an|and|or|not|no|none|with|without|must|should|will|may|can"
    r"|has|have|on|in|at|by|from|as|if|when|change|changed|expired|expires|expiry|policy|required|length|history"
    r"|encryption|authentication|prompt|reset|recovery|manager|file|chain|string|exchange|generate|zeroize"
    r"|import|export|storage|pubkey-chain|config-key|address|hostname|key|key-string|password|secret|cipher"
    r"|hash|level|remote|local|ascii-text|hexadecimal|plain|simple|irreversible-cipher|min-length|complexity"
    r"|aging|lifetime|status|type|mode|ipv6|ipv4|identifier|id)(?!\w))"
)
# Type tokens vendors put between the keyword and the value: IOS `secret 5`, `password level 15 7`,
# EOS `sha512`, VRP `cipher` / `irreversible-cipher`, H3C `hash` / `simple`, FortiOS `ENC`,
# Junos `ascii-text`, IKEv2 `local` / `remote`, H3C `role network-admin`.
_TYPES = (
    r"(?:\s+(?:level\s+\d+|role\s+\S+|\d{1,3}|sha512|sha256|scrypt|md5|enc|cipher|irreversible-cipher|hash"
    r"|simple|plain|ascii-text|hexadecimal|hex|ascii|encrypted|unencrypted|clear|local|remote))*"
)
_SECRET_WORDS = (
    r"password-hash|password|passwd|passphrase|pass-phrase-hashed|pass-phrase|secret|psksecret|phash|authpwd|privpwd|pwd"
    r"|key-string"
)
# A secret key name in key/value text and nested data: `password`, `db_password`, `api-key`, `snmp_community`.
SECRET_KEY = (
    r"(?:[\w.-]*(?:password|passwd|passphrase|secret|token|apikey|credentials?)"
    r"|(?:[\w.-]*[_.-])?(?:pass|pwd|psk|community|(?:api|private|access|secret|auth|priv|encryption|signing"
    r"|master|shared|psk|ssh)[_-]?key))"
)
_LINE_END = r"(?=\s*,?\s*$)"
# JSON / YAML literals that are no value ("password": null), and BGP communities in show outputs
# ("Community: 65000:100 no-export")
_NO_LITERAL = (
    r"(?!(?:null|none|true|false|~)(?![\w.~-]))(?!(?:\d+:\d+|rt:|soo:|no-export|no-advertise|local-as|internet)\b)"
)
# a key token directly followed by ":" or "=" (checked before the key-name alternation, which is dearer)
_KV_AHEAD = r"(?=[\"']?[\w.-]++[\"']?\s*[:=])"
_KV = ("pass", "pwd", "secret", "token", "key", "credential", "psk", "communit")
_WORD = ("pass", "pwd", "secret", "phash", "key")
_XML = ("pass", "phash", "secret", "key", "communit", "psk")

CISCO = (
    # IOS/IOS-XE, NX-OS, IOS-XR and EOS share most of these
    Rule(
        "snmp-host-asa",
        ("snmp",),
        r"^\s*snmp-server\s+host\s+\S+\s+\S+\s+(?:(?:trap|poll)\s+)?community\s+(?:[08]\s+)?" + V,
    ),
    Rule(
        "snmp-host",
        ("snmp",),
        # the community of a v1/v2c trap host; after `version 3 <level>` comes a user name, no secret
        r"^\s*snmp-server\s+host\s+\S+(?:\s+vrf\s+\S+)?(?:\s+(?:traps|informs))?(?:\s+version\s+(?:1|2c))?\s+"
        r"(?!(?:community|traps|informs|version|vrf|udp-port|poll|trap)\b)(?!\d{1,3}(?:\.\d{1,3}){3}\b)" + V,
    ),
    Rule("snmp-community", ("communit",), r"\bsnmp(?:-server)?\s+community\s+(?:[08]\s+)?" + V),
    # snmp-server user … auth <alg> <key> [priv [<alg> [bits]] <key>]; NX-OS may omit the priv algorithm
    Rule(
        "snmp-auth",
        ("auth",),
        # IOS-XR writes `encrypted` / `clear` before each key
        r"\bauth\s+(?:md5|sha\d*(?:-\d+)?)\s+(?:(?:encrypted|clear)\s+)?"
        + V
        + r"(?:\s+priv\s+(?:(?:aes(?:-?\d+)?|3des|des\d*)\s+)?(?:(?:128|192|256)\s+)?(?:(?:encrypted|clear)\s+)?"
        + _value("v2")
        + ")?",
    ),
    Rule(
        "snmp-priv",
        ("priv",),
        r"\bpriv\s+(?:aes(?:-?\d+)?|3des|des\d*)\s+(?:(?:128|192|256)\s+)?(?:(?:encrypted|clear)\s+)?" + V,
    ),
    Rule("config-key", ("key",), r"\bkey\s+config-key\s+password-encrypt\s+" + V),
    Rule("key-string", ("key",), r"\bkey-string(?:\s+(?:\d|password|clear|encrypted))?\s+" + V),
    Rule(
        "fhrp-text",
        ("auth",),
        r"\b(?:standby|vrrp|glbp)\s+(?:\d+\s+)?authentication\s+(?:text\s+)?(?!md5\b|key-chain\b)" + V,
    ),
    Rule("nhrp", ("auth",), r"\bnhrp\s+authentication\s+" + V),
    Rule("wpa-psk", ("psk",), r"\bwpa-psk\s+(?:ascii|hex)(?:\s+\d)?\s+" + V),
    Rule(
        "ppp-hostname",
        ("pass",),
        r"\bppp\s+(?:chap|pap)\s+(?:hostname|sent-username)\s+\S+\s+password(?:\s+\d)?\s+" + V,
    ),
)
JUNOS = (
    Rule("snmp-community-block", ("communit",), r"^\s*community\s+" + V + r"\s*[{;]\s*$"),
    Rule("set-snmp-community", ("communit",), r"\bset\s+snmp\s+community\s+" + V),
)
HUAWEI = (
    # VRP and H3C Comware
    Rule(
        "snmp-agent-community",
        ("communit",),
        r"\bsnmp-agent\s+community\s+(?:(?:read|write)\s+)?(?:(?:cipher|simple)\s+)?(?!complexity-check\b)" + V,
    ),
    # the community of a v1/v2c target host (with v3 it names a USM user)
    Rule(
        "securityname",
        ("securityname",),
        r"\bsecurityname\s+(?:(?:cipher|simple)\s+)?(?!(?:cipher|simple)\b)(?P<v>\S++)(?!\s+v3\b)",
    ),
    Rule(
        "authentication-mode",
        ("auth",),
        r"\bauthentication-mode\s+(?:md5|sha\S*|hmac-\S+)(?:\s+\d+)?\s+(?:(?:cipher|plain|simple)\s+)?"
        r"(?!\d+\s*$)" + V,
    ),
    Rule("authentication-mode-simple", ("auth",), r"\bauthentication-mode\s+simple\s+(?:(?:cipher|plain)\s+)?" + V),
    Rule("privacy-mode", ("priv",), r"\bprivacy-mode\s+(?:aes\d*|des\d*|3des)\s+(?:(?:cipher|plain|simple)\s+)?" + V),
    Rule("cipher", ("cipher",), r"\bcipher\s+(?!(?:aes|3des|des|blowfish|arcfour|chacha|sm4|camellia)\w*\b)" + V),
)
PANOS = (
    Rule("snmp-community-string", ("communit",), r"\b(?:snmp-)?community-string\s+" + V),
    Rule(
        "xml-element",
        _XML,
        r"<(?P<t>(?!public-key>)[\w-]*(?:password|phash|secret|key|community-string|psk))>"
        r"(?P<v>[^<\s][^<]*)</(?P=t)>",
    ),
)
LINUX = (
    # /etc/shadow: the hash field (a locked account's "!" kept), never "*" or "!" alone
    Rule("shadow", ("shadow", "crypt"), r"^[a-z_][\w.-]*\$?:!*(?P<v>[^:\s!*][^:\s]*):\d*:\d*:\d*:"),
    Rule("snmpd-community", ("communit",), r"^\s*r[ow]community6?\s+" + V),
    Rule("snmpd-com2sec", ("com2sec",), r"^\s*com2sec6?\s+(?:-cn\s+\S+\s+)?\S+\s+\S+\s+" + V),
    Rule(
        "snmpd-createuser",
        ("createuser",),
        r"^\s*createuser\s+(?:-e\s+\S+\s+)?\S+\s+(?:md5|sha\S*)\s+"
        + V
        + r"(?:\s+(?:des|aes\S*)\s+"
        + _value("v2")
        + ")?",
    ),
    Rule(
        "http-authorization",
        ("auth",),
        r"\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:basic|bearer|token|negotiate)\s+)?" + V,
    ),
    Rule("bearer", ("bearer",), r"\bbearer\s+(?P<v>[\w.~+/-]{8,}=*)"),
)
SNMP = (
    # net-snmp command lines and pysnmp reprs in errors and logs
    Rule("net-snmp-community", ("snmp",), r"\bsnmp\w*\s(?:[^\n]{0,200}?\s)?-c\s+" + V),
    Rule("pysnmp-community", ("communit",), r"\bcommunitydata\(\s*" + _inner() + r"(?:\s*,\s*" + _inner("v2") + ")?"),
    Rule(
        "pysnmp-usm",
        ("usmuser",),
        r"\busmuserdata\(\s*(?:" + _QUOTED + r")\s*,\s*" + _inner() + r"(?:\s*,\s*" + _inner("v2") + ")?",
    ),
)
GENERIC = (
    # nginx (and shell-like) variables named like a secret: `set $api_key "k-…";`
    Rule("nginx-set", ("pass", "pwd", "secret", "key", "token", "psk"), rf"\bset\s+\$(?:{SECRET_KEY})\s+" + V),
    Rule("url-credentials", ("url",), r"(?<![\w+.-])[a-z][a-z0-9+.-]{0,31}+://[^\s:/@]*:(?P<v>[^\s@/]+)@"),
    # key/value lines of INI, env files, YAML: an unquoted value runs to the end of the line
    Rule(
        "kv-line",
        _KV,
        rf"^\s*(?:export\s+)?{_KV_AHEAD}[\"']?{SECRET_KEY}[\"']?\s*[:=]\s*{_NO_LITERAL}(?P<v>(?![\"'{{\[|>&*!])[^\s#].*?){_LINE_END}",
    ),
    # key/value inside a line: JSON, Python reprs, query strings, command-line options
    Rule(
        "kv-inline",
        _KV,
        rf"(?<![\w.-]){_KV_AHEAD}[\"']?{SECRET_KEY}[\"']?\s*[:=]\s*{_NO_LITERAL}"
        + _inner(token=r"(?![{\[])[^\s,;&}\]\"']++"),
    ),
    # <word> [type…] <value>: enable secret 5 …, username x password 0 …, set password ENC …
    Rule(
        "secret-word",
        _WORD,
        rf"\b(?:{_SECRET_WORDS})(?![\w-]){_TYPES}\s+{_NOT_A_VALUE}" + V + r"(?!\s*\{)",
    ),
    # key [type…] <value>, but not `key 1` / `authentication-key 1 type md5` (key ids), `public-key …`,
    # `ssh-key …`, nor `Key` in a display table (group `lc`: the keyword must be lower case, as in
    # every config syntax)
    Rule(
        "key-word",
        ("key",),
        rf"\b(?<!public-)(?<!ssh-)(?<!host-)(?P<lc>key)(?![\w-]){_TYPES}\s+{_NOT_A_VALUE}"
        r"(?!\d{1,3}(?:\s|$))(?!\d+\s*$)(?![\w./-]+\.(?:key|pem|crt|cer|der)\b)" + V + r"(?!\s*\{)",
    ),
)
CATCH_ALL = (
    # crypt(3) hashes anywhere: $1$ $5$ $6$ $y$ $2b$ (Linux), $9$ (Junos, IOS type 9), $8$, $1a$ (VRP),
    # $h$ / $c$ (H3C), $apr1$ (htpasswd), quoted or not
    Rule("crypt", ("crypt",), r"(?P<v>\"?\$(?:1a?|2[aby]?|5|6|7|8|9|y|gy|apr1|sha1|md5|h|c)\$[^\s\";:,]+\"?)"),
    # Huawei reversible-cipher tokens %^%#…%^%#, %$%$…%$%$, %@%@…%@%@
    Rule("huawei-cipher", ("huawei",), r"(?P<v>%(?:\^%#|\$%\$|@%@)\S*)"),
)

#: Rules per platform family, in the order the engine tries them.
GRAMMARS: dict[str, tuple[Rule, ...]] = {
    "cisco": CISCO,
    "junos": JUNOS,
    "huawei": HUAWEI,
    "panos": PANOS,
    "linux": LINUX,
    "snmp": SNMP,
    "generic": GENERIC,
    "catch-all": CATCH_ALL,
}

#: Trigger names and what they match in a lower-cased line; a line is examined only when one matches.
#: ``::`` finds /etc/shadow lines (whose last fields are empty) whose hash is no ``$id$`` crypt string.
TRIGGERS: dict[str, str] = {
    **{word: word for word in ("pass", "pwd", "secret", "key", "communit", "cipher", "psk", "token", "auth", "priv")},
    **{word: word for word in ("credential", "phash", "securityname", "snmp", "com2sec", "createuser", "bearer")},
    "usmuser": "usmuser",
    "url": "://",
    "shadow": "::",
    "crypt": r"\$[0-9a-z]{1,5}\$",
    "huawei": r"%\^%#|%\$%\$|%@%@",
}


@dataclass(frozen=True)
class BlockRule:
    """A secret known only by the block it sits in: ``block`` (matched on the lower-cased text,
    multi-line) spans the block, ``pattern`` marks the secrets inside it with ``v``."""

    name: str
    opener: str  #: a lower-case literal the text must hold for the block to be looked for
    block: str
    pattern: str


#: FortiOS names an SNMP community by its string: `config system snmp community / edit 1 /
#: set name "public"`; the block ends at the `end` indented like its `config` line.
BLOCKS: tuple[BlockRule, ...] = (
    BlockRule(
        "fortios-snmp-community",
        "config system snmp community",
        r"^(?P<indent>[ \t]*)config system snmp community[ \t]*$.*?^(?P=indent)end\b",
        r"^\s*set\s+name\s+" + V,
    ),
)


def all_rules() -> tuple[Rule, ...]:
    """Every rule, platform grammars first, then the generic forms, then the catch-alls."""
    return tuple(rule for rules in GRAMMARS.values() for rule in rules)
