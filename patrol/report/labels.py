"""Fixed texts of the HTML report in each language (default English).

Device data (descriptions, messages) is never translated; check titles come from the
profiles (``title: {en, zh}``), severities use the contract's terms (特急/緊急/一般/其他).
"""

from __future__ import annotations

import os

__all__ = ["LABELS", "LANGS", "default_lang", "domain_label", "labels", "status_label"]

LANGS = ("en", "zh")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Inspection report",
        "changes": "Remediation changes re-inspected by this run",
        "change": "Change",
        "playbook": "Playbook",
        "approvers": "Approved by",
        "verification": "verification",
        "rollback": "rollback",
        "verified": "finding gone",
        "not_verified": "finding remains",
        "run": "Run",
        "status": "Status",
        "started": "Started",
        "finished": "Finished",
        "generated": "Generated",
        "coverage": "Coverage",
        "inspected": "inspected",
        "findings": "Findings",
        "gaps": "Hosts not inspected",
        "no_gaps": "Every planned host was inspected.",
        "status_host_key_changed": "SSH host key changed: no password sent, verify the device",
        "status_host_key_unknown": "SSH host key not recorded (strict checking)",
        "no_findings": "No findings.",
        "waived": "Waived",
        "waived_apart": "accepted by a waiver, visible but not counted above",
        "until": "until",
        "by_domain": "Findings by domain",
        "severity": "Severity",
        "host": "Host",
        "check": "Check",
        "object": "Object",
        "message": "Message",
        "reason": "Reason",
        "hosts": "Hosts",
        "platform": "Platform",
        "facts": "Facts",
        "checks": "Checks",
        "interfaces": "Interfaces",
        "interface": "Interface",
        "admin": "Admin",
        "oper": "Oper",
        "description": "Description",
        "resources": "Resources",
        "kind": "Kind",
        "name": "Name",
        "used": "Used %",
        "up": "up",
        "down": "down",
        "unknown": "?",
        "critical": "Critical",
        "urgent": "Urgent",
        "normal": "Normal",
        "other": "Other",
        "network": "Network devices",
        "security": "Security devices",
        "host_domain": "Servers",
        "storage": "Storage devices",
        "pass": "pass",
        "fail": "fail",
        "not_applicable": "n/a",
        "error": "error",
        "not_evaluated": "not evaluated",
        "tickets": "Tickets moved by this run",
        "opened": "opened",
        "reopened": "reopened",
        "resolved": "resolved",
        "no_tickets": "This run opened, reopened or resolved no ticket.",
        "ticket": "Ticket",
        "title_col": "Title",
        "drift": "Drift summary",
        "no_drift": "No drift from the approved baselines.",
        "drift_items": "drift item(s)",
        "summary": "Summary",
        "domain": "Domain",
        "count": "Count",
        "value": "Value",
        "outcome": "Outcome",
        "health": "Health per domain",
        "hosts_col": "Hosts",
        "failed_checks": "Failed checks",
        "detail": "Detail",
        "not_inspected": "not inspected",
        "total": "Total",
    },
    "zh": {
        "title": "巡檢報告",
        "changes": "本次巡檢複查的整改變更",
        "change": "變更",
        "playbook": "劇本",
        "approvers": "批准人",
        "verification": "整改驗證",
        "rollback": "回退",
        "verified": "問題已消除",
        "not_verified": "問題仍存在",
        "run": "巡檢批次",
        "status": "狀態",
        "started": "開始時間",
        "finished": "結束時間",
        "generated": "報告產生時間",
        "coverage": "巡檢覆蓋率",
        "inspected": "已巡檢",
        "findings": "發現問題",
        "gaps": "未能巡檢的設備",
        "no_gaps": "所有計劃內設備均已巡檢。",
        "status_host_key_changed": "SSH 主機金鑰已變更：未送出密碼，請核實設備",
        "status_host_key_unknown": "SSH 主機金鑰未登記（嚴格檢查）",
        "no_findings": "未發現問題。",
        "waived": "已豁免",
        "waived_apart": "經豁免批准，仍然列出但不計入以上統計",
        "until": "至",
        "by_domain": "按設備類別統計",
        "severity": "優先級",
        "host": "設備",
        "check": "檢查項",
        "object": "對象",
        "message": "說明",
        "reason": "原因",
        "hosts": "設備明細",
        "platform": "平台",
        "facts": "基本資訊",
        "checks": "檢查結果",
        "interfaces": "介面",
        "interface": "介面",
        "admin": "管理狀態",
        "oper": "運作狀態",
        "description": "描述",
        "resources": "資源",
        "kind": "類型",
        "name": "名稱",
        "used": "使用率 %",
        "up": "up",
        "down": "down",
        "unknown": "?",
        "critical": "特急",
        "urgent": "緊急",
        "normal": "一般",
        "other": "其他",
        "network": "網絡設備",
        "security": "安全設備",
        "host_domain": "主機設備",
        "storage": "存儲設備",
        "pass": "通過",
        "fail": "不通過",
        "not_applicable": "不適用",
        "error": "錯誤",
        "not_evaluated": "未評估",
        "tickets": "本次巡檢變動的工單",
        "opened": "新開",
        "reopened": "重開",
        "resolved": "已解決",
        "no_tickets": "本次巡檢沒有新開、重開或解決任何工單。",
        "ticket": "工單",
        "title_col": "標題",
        "drift": "配置偏離摘要",
        "no_drift": "與已批准基線相比沒有偏離。",
        "drift_items": "項偏離",
        "summary": "摘要",
        "domain": "設備類別",
        "count": "數量",
        "value": "數值",
        "outcome": "結果",
        "health": "各類設備健康狀況",
        "hosts_col": "設備數",
        "failed_checks": "不通過的檢查項",
        "detail": "明細",
        "not_inspected": "未巡檢",
        "total": "合計",
    },
}


def labels(lang: str) -> dict[str, str]:
    """The labels of ``lang`` (``en`` or ``zh``); English for any other value."""
    return LABELS.get(lang, LABELS["en"])


def default_lang() -> str:
    """``zh`` when the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) is Chinese, else ``en``."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def domain_label(domain: str, lang: str) -> str:
    """The domain's name (``host`` is labelled ``host_domain``); an unknown domain keeps its own."""
    return labels(lang).get("host_domain" if domain == "host" else domain, domain)


def status_label(status: str, lang: str) -> str:
    """A host status as shown in gaps: the status, with its explanation where one is labelled."""
    text = labels(lang).get(f"status_{status}")
    return f"{status} ({text})" if text else status
