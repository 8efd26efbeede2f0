"""Component IDs, defined once."""

URL = "url"
PERIOD = "filter-period"
THEME = "filter-theme"
OWNER = "filter-owner"
RESET = "filter-reset"
FILTERS_BAR = "filters-bar"
# The boxes holding each filter, hidden on pages that do not use it.
FILTER_BOXES = {
    "period": "filter-period-box",
    "theme": "filter-theme-box",
    "owner": "filter-owner-box",
}
NAV = "nav"
# The header and footer parts a page's plan decides (filled in by callbacks in app.py).
TITLE = "brand-title"
ORG = "brand-org"
LOGO = "brand-logo"
ROLE = "account-role"
SWITCHER = "plan-switcher"
DEFINITIONS = "rag-definitions"
NAV_LINK = "nav-link"  # pattern-matching: {"type": NAV_LINK, "page": path}
GRID = "recommendations-grid"
GRID_SEARCH = "recommendations-search"
SINCE = "changes-since"
SINCE_SHOWN = "changes-since-shown"  # the comparison period the page was drawn for

# Editor-only components start with "edit-", admin-only with "admin-" (and those who sign off,
# "signoff-", below): the server refuses any
# callback request naming them from someone without that role (see auth.py).
UPLOAD_PERIOD = "edit-period"
UPLOAD_MODE = "edit-mode"
UPLOAD = "edit-upload"
UPLOAD_RESULT = "edit-result"
UPLOAD_TOKEN = "edit-token"
UPLOAD_ACTIONS = "edit-actions"
UPLOAD_COMMIT = "edit-commit"
UPLOAD_CANCEL = "edit-cancel"
UPLOAD_MESSAGE = "edit-message"
RESTORE = "edit-restore"  # pattern-matching: {"type": RESTORE, "period": label, "revision": n}
RESTORE_MESSAGE = "edit-restore-message"
# Sign-off components start with "signoff-" (policy leads and admins).
SIGN_OFF = "signoff-period"  # pattern-matching: {"type": SIGN_OFF, "period": label, "revision": n}
SIGN_OFF_MESSAGE = "signoff-message"
WITHDRAW = "signoff-withdraw"  # pattern-matching: {"type": WITHDRAW, "period": label}
WITHDRAW_REASON = "signoff-reason"  # pattern-matching: {"type": WITHDRAW_REASON, "period": label}
WITHDRAW_MESSAGE = "signoff-withdraw-message"
USER_NAME = "admin-user-name"
USER_ROLE = "admin-user-role"
USER_ADD = "admin-user-add"
USER_REMOVE = "admin-user-remove"
USER_MESSAGE = "admin-user-message"
# Evidence on the recommendation page, pattern-matching by milestone: {"type": ..., "ref": ref}.
EVIDENCE_LIST = "evidence-list"
EVIDENCE_UPLOAD = "edit-evidence-upload"
EVIDENCE_PUBLIC = "edit-evidence-public"
EVIDENCE_MESSAGE = "edit-evidence-message"
EVIDENCE_ACTION = "edit-evidence-action"  # {"type": ..., "ref": ref, "file": id, "do": action}
# Returns rounds (Returns page): opening a round, each owner's link, reviewing what partners sent.
ROUND_PERIOD = "edit-round-period"
ROUND_DUE = "edit-round-due"
ROUND_OPEN = "edit-round-open"
ROUND_OPENED = "edit-round-opened"  # the result of Open round, with each owner's link shown once
ROUND_KEY = "edit-round-key"  # the period label of the round the page shows
ROUND_STATES = "edit-round-states"
ROUND_MESSAGE = "edit-round-message"
LINK_ACTION = "edit-link-action"  # pattern-matching: {"type": ..., "link": id, "do": action}
# The spot for "Send invitations and reminders now" (socplan.mailing, wired by the lead).
ROUND_SEND = "edit-round-send"
REVIEW_VERSION = "edit-review-version"
ROUND_MISSING = "edit-round-missing"
ROUND_SEND_MESSAGE = "edit-round-send-message"
REVIEW = "edit-review"  # the returns waiting for review
REVIEW_SELECT = "edit-review-select"  # pattern-matching: {"type": ..., "submission": id}
REVIEW_REASON = "edit-review-reason"  # pattern-matching: {"type": ..., "submission": id}
REVIEW_REJECT = "edit-review-reject"  # pattern-matching: {"type": ..., "submission": id}
REVIEW_COMMIT = "edit-review-commit"
REVIEW_MESSAGE = "edit-review-message"
# Contacts page (personal data: editors only, so every id is an edit- one).
CONTACTS_TABLE = "edit-contacts-table"
CONTACTS_OWNER = "edit-contacts-owner"
CONTACTS_LIST = "edit-contacts-list"
CONTACTS_ESCALATION = "edit-contacts-escalation"
CONTACTS_FORMAT = "edit-contacts-format"
CONTACTS_SAVE = "edit-contacts-save"
CONTACTS_MESSAGE = "edit-contacts-message"
