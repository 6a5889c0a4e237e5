"""Flask-AppBuilder messages that our catalog translates in place of FAB's own.

FAB loads its bundled catalog first and ours (translations/) after it, so an entry in
ours overrides or completes FAB's. FAB 5.3's Chinese catalog lacks or leaves fuzzy the
messages below although its templates and views use them (fuzzy entries are not
compiled, so they showed in English), and words some of its other entries differently
from the user manual. Listing the message ids here keeps them in the template
translations/messages.pot that scripts/update-translations.sh extracts, so they cannot
drop out of our catalog.
Nothing imports this module; it only has to be seen by the extractor.

The first group was found by extracting FAB's own sources and comparing them with its
translations/zh/LC_MESSAGES/messages.po (babel.messages.pofile): missing, empty or fuzzy
there. Its empty "OpenID" entries are left out: FAB 5.3 no longer uses them.
"""

from flask_babel import lazy_gettext

# Used by FAB 5.3, missing, empty or fuzzy in FAB's Chinese catalog.
FAB_UNTRANSLATED = (
    # templates/appbuilder/general/lib.html: record buttons, the delete confirmation
    lazy_gettext("Add"),
    lazy_gettext("Edit"),
    lazy_gettext("Show"),
    lazy_gettext("Delete"),
    lazy_gettext("Are you sure you want to delete this item?"),
    # fields.py, baseviews.py, validators.py
    lazy_gettext("Not a valid choice"),
    lazy_gettext("Database Error"),
    lazy_gettext(
        "Must have at least two capital letters, one special character, two digits, "
        "three lower case letters and a minimal length of 10."
    ),
    # Search filters of list pages (models/generic/filters.py, models/sqla/filters.py)
    lazy_gettext("Start with"),
    lazy_gettext("Contains (insensitive)"),
    lazy_gettext("In"),
    lazy_gettext("Not In"),
    # security/forms.py and security/views.py: users, roles, groups
    lazy_gettext("Either select a role or a group"),
    lazy_gettext("Edit User Information"),
    lazy_gettext("User information changed"),
    lazy_gettext("The user's password for authentication"),
    lazy_gettext("It's not a good policy to remove a user, just make it inactive"),
    lazy_gettext("User(s) exists in the role, cannot delete"),
    lazy_gettext("Groups"),
    lazy_gettext("List Groups"),
    lazy_gettext("Show Group"),
    lazy_gettext("Add Group"),
    lazy_gettext("Edit Group"),
    lazy_gettext("User(s) exists in the group, cannot delete"),
    # templates/appbuilder/general/security/login_oauth.html and login_saml.html
    lazy_gettext("Sign In with "),
)

# Translated by FAB, but wrongly or not in the manual's words: reworded in our catalog.
FAB_REWORDED = (
    lazy_gettext("Back"),  # FAB: 后退; the manual's button is 返回
    lazy_gettext("Profile"),  # FAB: 用户信息, the same as "User info"
    lazy_gettext("Logout"),  # FAB: 注销, which also reads as "delete the account"
    lazy_gettext("Detail"),
    lazy_gettext("Starts with"),  # FAB: 以开始, not Chinese word order
    lazy_gettext("Not Starts with"),
    lazy_gettext("Ends with"),
    lazy_gettext("Not Ends with"),
    # FAB says "probably a required field is missing"
    lazy_gettext("Integrity error, probably unique constraint"),
)
