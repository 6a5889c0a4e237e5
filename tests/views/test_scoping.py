"""Row scoping holds on every route: an identity never sees or changes another
organisation's rows, whatever URL, id, filter or form field it sends.

The world (tests/views/conftest.py): society S1 with level-1 enterprises A and B, each
with a level-2 child (A2, B2), codes, projects of both lists, a contact and a submitted
application; society S2 with level-1 C and its child C2, the same. Each request runs in
its own application context (fixture ``own_contexts``), as behind a real server, so no
database session is shared between requests or with the test.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.extensions import db
from app.models import IdentityKind
from tests.conftest import csrf_token, login
from tests.views.conftest import PASSWORD, Org, ScopingWorld

SNAPSHOT_TABLES = (
    "channels",
    "referral_codes",
    "projects",
    "identities",
    "audit_entries",
    "prospective_applications",
    "outbox_messages",
    "societies",
)


def snapshot(app) -> dict:
    """Every row of the watched tables, read on a connection of its own (no scoping)."""
    from flask_appbuilder import Model

    with app.app_context():
        with db.engine.connect() as connection:
            result = {}
            for name in SNAPSHOT_TABLES:
                table = Model.metadata.tables[name]
                query = select(table).order_by(*table.primary_key.columns)
                if name == "audit_entries":
                    # An export records itself by design; its file is read by body_of.
                    query = query.where(table.c.action.not_like("export.%"))
                rows = connection.execute(query).all()
                result[name] = [tuple(row) for row in rows]
            return result


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def body_of(response) -> str:
    """The page, or for an Excel download the text of every part of the file."""
    if response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
            return "".join(book.read(name).decode() for name in book.namelist())
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------------------
# The probe: one identity, every request checked for status, changes and leaked text
# --------------------------------------------------------------------------------------

REFUSED = {400, 401, 403, 404, 405}


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response.headers.get("Location", "")


def without_echo(body: str, url: str, data) -> str:
    """The page without the search boxes that repeat what the request typed: a name the
    request searched for is not a leak; the same name anywhere else in the page is."""
    typed = [value for values in parse_qs(urlsplit(url).query).values() for value in values]
    if isinstance(data, dict):
        typed += [value for value in data.values() if isinstance(value, str)]
    for value in typed:
        body = body.replace(f'value="{escape(value)}"', 'value=""')
    return body


@dataclass
class Viewer:
    """Who probes, and what lies outside their reach."""

    name: str
    account_id: int
    identity_id: int
    forbidden: list[str]  # texts that must never appear in a page
    channels: list[int]  # channel ids the channel-settings routes must refuse
    projects: list[int]  # project ids the project routes must refuse
    codes: list[int]  # code ids the share route must refuse
    contacts: list[tuple[int, int]]  # (channel id, account id) the remove route must refuse
    identities: list[int]  # identity ids of other accounts
    accounts: list[int]  # account ids of other organisations
    own: Org | None = None  # the viewer's own enterprise, if any


@dataclass
class Probe:
    """Sends requests as one identity and records every answer that breaks the rules."""

    app: object
    client: object
    viewer: Viewer
    problems: list[str] = field(default_factory=list)
    count: int = 0
    token: str = ""

    def login(self) -> None:
        login(self.client, self.viewer.account_id, self.viewer.identity_id)

    def refresh_token(self) -> None:
        self.login()
        self.token = csrf_token(self.client, "/identity/choose")

    def send(self, method: str, url: str, *, strict: bool, data=None, json=None, label: str = ""):
        """``strict``: the request targets a foreign row and must be refused."""
        self.login()
        before = snapshot(self.app)
        self.count += 1
        where = f"{method} {url} {label}".strip()
        try:
            response = self.client.open(url, method=method, data=data, json=json)
        except Exception as exc:  # TESTING propagates what would be a 500
            self.problems.append(f"{where}: raised {exc.__class__.__name__}: {str(exc)[:300]}")
            return None
        changed = changed_tables(before, snapshot(self.app))
        if changed:
            self.problems.append(f"{where}: changed {changed} (status {response.status_code})")
        status = response.status_code
        if status >= 500 or status == 303:
            # 303 is the CSRF refusal: the probe's token must always be valid.
            self.problems.append(f"{where}: status {status}")
        elif strict and not (status in REFUSED or _is_login_redirect(response)):
            self.problems.append(f"{where}: status {status}, expected a refusal")
        body = without_echo(body_of(response), url, data)
        leaked = [text for text in self.viewer.forbidden if text and text in body]
        if leaked:
            self.problems.append(f"{where}: body shows {leaked}")
        return response

    def form(self, w: ScopingWorld, **extra) -> dict:
        """A POST body carrying foreign ids in every field name a view might read."""
        foreign = w.c
        data = {
            "csrf_token": self.token,
            "identity_id": str(foreign.contact_identity_id),
            "channel_id": str(foreign.channel_id),
            "channel": str(foreign.channel_id),
            "parent_id": str(foreign.channel_id),
            "society_id": str(w.s2_id),
            "account_id": str(foreign.contact_account_id),
            "code_id": str(foreign.code_ids[1]),
            "kind": "dispatch",
        }
        data.update(extra)
        return data


# --------------------------------------------------------------------------------------
# The matrix: every rule of app.url_map
# --------------------------------------------------------------------------------------

ACTION_NAMES = ["toggle", "retry", "muldelete", "no_such_action"]
BAD_PKS = ["abc", "0", "-1", "99999999999"]
PROJECT_VIEWS = {"KeyProjectsView": "key", "DispatchProjectsView": "dispatch"}


def _view(rule) -> str:
    return rule.endpoint.split(".", 1)[0]


def _is_model_view(app, view: str) -> bool:
    from flask_appbuilder import ModelView

    return any(type(v).__name__ == view and isinstance(v, ModelView) for v in app.appbuilder.baseviews)


def _pks(viewer: Viewer, w: ScopingWorld, view: str) -> list:
    """Ids of rows the viewer must not reach, by the model behind the view."""
    if view in PROJECT_VIEWS:
        other_kind = "dispatch" if PROJECT_VIEWS[view] == "key" else "key"
        own_other = viewer.own.project_ids[other_kind] if viewer.own else []
        return viewer.projects + own_other + BAD_PKS
    if view == "ChannelsReadView":
        return viewer.channels
    if view in ("AccountsView", "UserDBModelView"):
        return viewer.accounts
    if view == "IdentitiesView":
        return viewer.identities
    if view == "AuditLogView":
        return w.audit_ids_c
    if view == "OutboxView":
        return w.outbox_ids
    if view == "SocietiesView":
        return [w.s2_id, w.s1_id]
    return [1]


def _sample(viewer: Viewer, w: ScopingWorld, view: str) -> list:
    """A few of those ids, at least one per organisation, for the costlier action routes."""
    if view in PROJECT_VIEWS:
        other_kind = "dispatch" if PROJECT_VIEWS[view] == "key" else "key"
        own_other = viewer.own.project_ids[other_kind][:1] if viewer.own else []
        return viewer.projects[::4] + own_other  # 4 projects per organisation
    return _pks(viewer, w, view)[:3]


def _path_cases(viewer: Viewer, w: ScopingWorld, rule) -> list[dict]:
    """Values for the arguments of a route, each pointing at a row out of reach."""
    args = set(rule.arguments)
    view = _view(rule)
    if args == {"channel_id"}:
        return [{"channel_id": pk} for pk in viewer.channels]
    if args == {"channel_id", "account_id"}:
        return [{"channel_id": channel, "account_id": account} for channel, account in viewer.contacts]
    if args == {"code_id"}:
        return [{"code_id": pk} for pk in viewer.codes]
    if args == {"pk"}:
        return [{"pk": pk} for pk in _pks(viewer, w, view)]
    if args == {"name", "pk"}:
        return [{"name": name, "pk": pk} for name in ACTION_NAMES for pk in _sample(viewer, w, view) + ["abc"]]
    if args == {"filename"}:
        return [{"filename": "report.xlsx"}]
    raise AssertionError(f"no cases for {rule.rule}")


def _fill(rule, values: dict) -> str:
    url = rule.rule
    for name, value in values.items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    return url


def _list_queries(w: ScopingWorld, view: str) -> list[str]:
    """Query strings for list pages: foreign ids in every filter form FAB and the pages
    read, search arguments naming foreign rows, and malformed paging and ordering."""
    c = w.c
    return [
        f"_flt_0_channel_id={c.channel_id}",
        f"_flt_0_channel={c.channel_id}",
        f"_flt_1_channel={w.b.channel_id}",
        "_flt_0_kind=dispatch",
        f"_flt_0_id={c.all_project_ids[0]}",
        f"_flt_0_society={w.s2_id}",
        "_flt_0_description=x",
        "_flt_0_active=y",
        f"_flt_0_channel.name={c.name}",
        "_flt_9_name=x",
        "_flt_x_name=x",
        f"_flt_0_name={c.project_names[0]}",
        f"_oc_{view}=channel_id&_od_{view}=asc",
        f"_oc_{view}=channel.name&_od_{view}=desc",
        f"_oc_{view}=no_such_column&_od_{view}=asc",
        f"page_{view}=abc",
        f"page_{view}=-1",
        f"psize_{view}=-1",
        f"psize_{view}=100000",
        f"channel_id={c.channel_id}",
        f"parent_id={c.channel_id}",
        f"society_id={w.s2_id}",
        f"name={c.name}",
        f"name={w.b.name}",
        f"name={w.b2.name}",
        f"name={c.applicant_names[0]}",
        f"name={w.b.applicant_names[0]}",
        f"mobile={c.contact_mobile}",
        f"mobile={w.b.contact_mobile[:5]}",
        "state=submitted",
        "state=used",
        "state=no_such_state",
        "page=abc",
        "page=-5",
    ]


def _rowid_sets(viewer: Viewer, w: ScopingWorld, view: str) -> list[list[str]]:
    foreign = [str(pk) for pk in _sample(viewer, w, view)]
    sets = [[pk] for pk in foreign] + [foreign, ["abc"]]
    if view in PROJECT_VIEWS and viewer.own:
        own = str(viewer.own.project_ids[PROJECT_VIEWS[view]][0])
        sets += [[own, foreign[0]], [foreign[0], own], []]
    return sets


def run_matrix(probe: Probe, app, w: ScopingWorld) -> None:
    viewer = probe.viewer
    # The applicant site (blueprint "site") acts for the logged-in account itself, not for
    # a backend identity; its ownership checks are tested in tests/site/.
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in ("static", "appbuilder.static") and not rule.endpoint.startswith("site.")
    ]
    last = {"AuthDBView.logout", "LocaleView.index"}  # they end the session or change it
    for rule in sorted(rules, key=lambda r: (r.endpoint in last, r.rule)):
        view = _view(rule)
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        if rule.endpoint == "LocaleView.index":
            probe.send("GET", "/lang/zh", strict=False)
            continue
        if rule.endpoint == "account_setup.set_password":
            for method in ("GET", "POST"):
                probe.send(method, "/account/set-password/not-a-token", strict=False, data=probe.form(w) if method == "POST" else None)
            continue
        if rule.arguments:
            for values in _path_cases(viewer, w, rule):
                url = _fill(rule, values)
                for method in ("GET", "POST"):
                    data = probe.form(w, action=values.get("name", "toggle")) if method == "POST" else None
                    probe.send(method, url, strict=True, data=data)
            continue

        queries = ["", f"_flt_0_channel_id={w.c.channel_id}&_flt_0_channel={w.c.channel_id}", f"_flt_0_channel_id={w.b.channel_id}"]
        if rule.endpoint.endswith(".list") or rule.rule in ("/", "/codes/"):
            queries += _list_queries(w, view)
        for query in queries:
            url = rule.rule + (f"?{query}" if query else "")
            for method in methods:
                if rule.endpoint.endswith(".action_post"):
                    for name in ACTION_NAMES:
                        for rowids in _rowid_sets(viewer, w, view):
                            probe.send("POST", url, strict=True, data=probe.form(w, action=name, rowid=rowids), label=f"action={name} rowid={rowids}")
                    continue
                if rule.endpoint == "SecurityApi.login":
                    probe.send("POST", url, strict=False, json={"username": w.c.contact_mobile, "password": "wrong", "provider": "db"})
                strict = (
                    (rule.endpoint.endswith(".add") and "_flt_" in query and _is_model_view(app, view))  # no _flt_ pre-fill
                    or (rule.endpoint == "IdentityView.choose" and method == "POST")  # another account's identity
                )
                probe.send(method, url, strict=strict, data=probe.form(w) if method == "POST" else None)
        if rule.endpoint.endswith(".add") and _is_model_view(app, view):
            # A complete, valid form with a _flt_ pre-fill pointing at C: refused, nothing added.
            url = f"{rule.rule}?_flt_0_channel_id={w.c.channel_id}&_flt_0_channel={w.c.channel_id}"
            probe.send("POST", url, strict=True, data=probe.form(w, name="伪造项目", country="SG"), label="valid form")
    # No model REST API is registered: FAB's usual REST paths do not exist.
    for path in ("/api/v1/_openapi", "/swagger/v1", "/api/v1/project/", "/api/v1/project/_info", f"/api/v1/project/{w.c.all_project_ids[0]}", "/api/v1/channel/_info", "/api/v1/security/csrftoken/", "/api/v1/user/", "/_info"):
        for method in ("GET", "POST"):
            probe.send(method, path, strict=True, data=probe.form(w) if method == "POST" else None)
    if viewer.own is not None:
        # Edit of the viewer's own project with a _flt_ pre-fill pointing elsewhere: refused.
        for route, kind in (("key-projects", "key"), ("dispatch-projects", "dispatch")):
            own = viewer.own.project_ids[kind][0]
            for query in (f"_flt_0_channel_id={w.c.channel_id}", f"_flt_0_channel={w.b.channel_id}", f"_flt_0_channel={w.c.channel_id}"):
                url = f"/{route}/edit/{own}?{query}"
                probe.send("GET", url, strict=True)
                probe.send("POST", url, strict=True, data=probe.form(w, name="改名项目", country="SG"), label="valid form")


def _secrets(w: ScopingWorld, *orgs: Org) -> list[str]:
    return [w.s2_name] + [text for org in orgs for text in org.secrets()]


def contact_of_a(w: ScopingWorld) -> Viewer:
    foreign = [w.b, w.b2, w.c, w.c2]
    return Viewer(
        name="enterprise contact of A (level 1)",
        account_id=w.a.contact_account_id,
        identity_id=w.a.contact_identity_id,
        forbidden=_secrets(w, *foreign),
        # Its own node and the roots are not its level-2 enterprises either.
        channels=[org.channel_id for org in foreign] + [w.s1_root_id, w.s2_root_id, w.a.channel_id],
        # A2's projects and codes are in A's subtree but belong to A2.
        projects=[pk for org in [*foreign, w.a2] for pk in org.all_project_ids],
        codes=[pk for org in [*foreign, w.a2] for pk in org.code_ids],
        contacts=[(org.channel_id, org.contact_account_id) for org in foreign]
        + [(w.b.channel_id, w.a2.contact_account_id)]
        + [(w.a2.channel_id, org.contact_account_id) for org in (w.b, w.c, w.a)],
        identities=[org.contact_identity_id for org in foreign] + [w.s2_contact[1], w.s1_contact[1]],
        accounts=[org.contact_account_id for org in foreign] + [w.s2_contact[0]],
        own=w.a,
    )


def contact_of_a2(w: ScopingWorld) -> Viewer:
    foreign = [w.a, w.b, w.b2, w.c, w.c2]
    return Viewer(
        name="enterprise contact of A2 (level 2)",
        account_id=w.a2.contact_account_id,
        identity_id=w.a2.contact_identity_id,
        forbidden=_secrets(w, *foreign),
        channels=[org.channel_id for org in [*foreign, w.a2]] + [w.s1_root_id, w.s2_root_id],
        projects=[pk for org in foreign for pk in org.all_project_ids],
        codes=[pk for org in foreign for pk in org.code_ids],
        contacts=[(org.channel_id, org.contact_account_id) for org in foreign] + [(w.a2.channel_id, w.a2.contact_account_id)],
        identities=[org.contact_identity_id for org in foreign] + [w.s2_contact[1]],
        accounts=[org.contact_account_id for org in foreign] + [w.s2_contact[0]],
        own=w.a2,
    )


def contact_of_s1(w: ScopingWorld) -> Viewer:
    foreign = [w.c, w.c2]
    own_society = [w.a, w.a2, w.b, w.b2]
    return Viewer(
        name="society contact of S1",
        account_id=w.s1_contact[0],
        identity_id=w.s1_contact[1],
        forbidden=_secrets(w, *foreign),
        # It configures level-1 enterprises only: not the roots, not level 2.
        channels=[org.channel_id for org in foreign] + [w.s1_root_id, w.s2_root_id, w.a2.channel_id, w.b2.channel_id],
        projects=[pk for org in [*foreign, *own_society] for pk in org.all_project_ids],
        codes=[pk for org in [*foreign, *own_society] for pk in org.code_ids],
        contacts=[(org.channel_id, org.contact_account_id) for org in foreign]
        + [(w.a.channel_id, w.b.contact_account_id), (w.a2.channel_id, w.a2.contact_account_id)],
        identities=[org.contact_identity_id for org in foreign] + [w.s2_contact[1]],
        accounts=[org.contact_account_id for org in foreign] + [w.s2_contact[0]],
    )


@pytest.mark.parametrize("make_viewer", [contact_of_a, contact_of_a2, contact_of_s1], ids=["contact_a", "contact_a2", "society_s1"])
def test_no_route_reaches_a_foreign_row(app, client, scoping_world, own_contexts, make_viewer):
    w = scoping_world
    viewer = make_viewer(w)
    probe = Probe(app, client, viewer)
    probe.refresh_token()
    # The viewer does see its own rows, so the checks are not vacuous.
    home = probe.send("GET", "/", strict=False)
    assert home.status_code == 200, body_of(home)[:500]
    if viewer.own is not None:
        own = probe.send("GET", "/key-projects/list/", strict=False)
        assert own.status_code == 200 and viewer.own.project_names[0] in body_of(own)
        overview = probe.send("GET", "/prospect-overview/", strict=False)
        assert viewer.own.applicant_names[0] in body_of(overview)
    if viewer.own is w.a:
        sub = probe.send("GET", "/sub-channels/", strict=False)
        assert sub.status_code == 200 and w.a2.name in body_of(sub)
    if viewer.own is None:
        listing = probe.send("GET", "/enterprise-channels/", strict=False)
        assert listing.status_code == 200 and w.a.name in body_of(listing) and w.b.name in body_of(listing)

    run_matrix(probe, app, w)

    assert probe.count > 1000
    assert not probe.problems, f"{viewer.name}: {len(probe.problems)} of {probe.count} requests broke scoping:\n" + "\n".join(probe.problems)


# --------------------------------------------------------------------------------------
# Actions and forms of the project lists, as the owner
# --------------------------------------------------------------------------------------


def _project(app, pk: int):
    from app.models import Project

    with app.app_context():
        row = db.session.get(Project, pk)
        return {"channel_id": row.channel_id, "kind": row.kind, "active": row.active, "name": row.name}


def test_project_actions_act_on_own_rows_only(app, client, scoping_world, own_contexts):
    w = scoping_world
    login(client, w.a.contact_account_id, w.a.contact_identity_id)
    token = csrf_token(client, "/key-projects/list/")
    own, foreign = w.a.project_ids["key"], w.b.project_ids["key"]

    # A mixed selection is refused as a whole: nothing is toggled, not even A's own row.
    before = snapshot(app)
    response = client.post("/key-projects/action_post", data={"csrf_token": token, "action": "toggle", "rowid": [str(own[0]), str(foreign[0])]})
    assert response.status_code == 404
    assert snapshot(app) == before

    # A's own rows: the action works (it was refused to every role before).
    response = client.post("/key-projects/action_post", data={"csrf_token": token, "action": "toggle", "rowid": [str(pk) for pk in own]})
    assert response.status_code == 302
    assert [_project(app, pk)["active"] for pk in own] == [False, False]
    response = client.post(f"/key-projects/action/toggle/{own[0]}", data={"csrf_token": token})
    assert response.status_code == 302 and _project(app, own[0])["active"] is True
    # The list shows the action to its owner.
    assert "/key-projects/action_post" in body_of(client.get("/key-projects/list/"))

    # The other list's rows and B's rows by single action: 404, unchanged.
    for pk in (w.a.project_ids["dispatch"][0], foreign[0], w.c.project_ids["key"][0], w.a2.project_ids["key"][0]):
        before = snapshot(app)
        assert client.post(f"/key-projects/action/toggle/{pk}", data={"csrf_token": token}).status_code == 404
        assert snapshot(app) == before
    # Actions are POST only.
    assert client.get(f"/key-projects/action/toggle/{own[0]}").status_code == 405


def test_forged_owner_fields_in_project_forms_are_ignored(app, client, scoping_world, own_contexts):
    from app.models import Project

    w = scoping_world
    login(client, w.a.contact_account_id, w.a.contact_identity_id)
    token = csrf_token(client, "/key-projects/add")
    forged = {"channel_id": str(w.b.channel_id), "channel": str(w.b.channel_id), "kind": "dispatch", "id": str(w.b.project_ids["key"][0])}

    response = client.post("/key-projects/add", data={"csrf_token": token, "name": "新项目NEWPROJECT", "country": "SG", **forged})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(Project).where(Project.name == "新项目NEWPROJECT"))
        assert (row.channel_id, row.kind) == (w.a.channel_id, "key")
    assert _project(app, w.b.project_ids["key"][0])["name"] == w.b.project_names[0]

    own = w.a.project_ids["key"][1]
    response = client.post(f"/key-projects/edit/{own}", data={"csrf_token": token, "name": "改名RENAMED", "country": "SG", **forged})
    assert response.status_code == 302
    assert _project(app, own) == {"channel_id": w.a.channel_id, "kind": "key", "active": True, "name": "改名RENAMED"}


# --------------------------------------------------------------------------------------
# Society contacts: each sees its own society's channels only
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["s1", "s2"])
def test_society_contact_never_reaches_the_other_society(app, client, scoping_world, own_contexts, side):
    w = scoping_world
    me, other = (w.s1_contact, [w.c, w.c2]) if side == "s1" else (w.s2_contact, [w.a, w.a2, w.b, w.b2])
    mine = [w.a, w.b] if side == "s1" else [w.c]
    login(client, *me)
    token = csrf_token(client, "/enterprise-channels/add")
    before = snapshot(app)

    listing = body_of(client.get("/enterprise-channels/"))
    assert all(org.name in listing for org in mine)
    for org in other:
        assert org.name not in listing
        assert org.name not in without_echo(body_of(client.get(f"/enterprise-channels/?name={org.name}")), f"?name={org.name}", None)
        for url in (f"/enterprise-channels/{org.channel_id}/edit", f"/enterprise-channels/{org.channel_id}/contact"):
            assert client.get(url).status_code == 404
            assert client.post(url, data={"csrf_token": token, "name": "改名", "quota": "1", "mobile": "13911112222"}).status_code == 404
        assert client.post(f"/enterprise-channels/{org.channel_id}/toggle", data={"csrf_token": token}).status_code == 404
        remove = f"/enterprise-channels/{org.channel_id}/contact/{org.contact_account_id}/remove"
        assert client.post(remove, data={"csrf_token": token}).status_code == 404
        for page in ("/prospect-overview/", "/assessment-overview/", "/", f"/prospect-overview/?name={org.applicant_names[0]}"):
            body = without_echo(body_of(client.get(page)), page, None)
            assert not [text for text in org.secrets() if text in body], page
    assert snapshot(app) == before


# --------------------------------------------------------------------------------------
# Identities: chooser, switch, other accounts, disabled channels, real login and logout
# --------------------------------------------------------------------------------------


@pytest.fixture
def two_identities(app, world, scoping_world):
    """One account: enterprise contact of A and society contact of S2."""
    from app.models import Channel, Society

    w = scoping_world
    with app.app_context():
        a = db.session.get(Channel, w.a.channel_id)
        s2 = db.session.get(Society, w.s2_id)
        account_id, as_a = world.account("双身份DUAL", w.a.contact_mobile, IdentityKind.ENTERPRISE_CONTACT, channel=a)
        account_id2, as_s2 = world.account("双身份DUAL", w.a.contact_mobile, IdentityKind.SOCIETY_CONTACT, society=s2)
    assert account_id == account_id2 == w.a.contact_account_id and as_a == w.a.contact_identity_id
    return account_id, as_a, as_s2


def _menu_links(page: str) -> set[str]:
    """The links of the rendered page (menus included, wherever the layout puts them):
    a page that must not offer a screen has no link to it anywhere."""
    return set(re.findall(r'href="(/[^"?]*)', page))


def test_two_identities_go_to_the_chooser_and_switch(app, client, scoping_world, two_identities, own_contexts):
    w = scoping_world
    account_id, as_a, as_s2 = two_identities
    login(client, account_id)  # logged in, no identity chosen yet

    response = client.get("/")
    assert response.status_code == 302 and "/identity/choose" in response.headers["Location"]
    response = client.get("/key-projects/list/")
    assert response.status_code == 302 and "/identity/choose" in response.headers["Location"]
    chooser = body_of(client.get("/identity/choose"))
    assert f'value="{as_a}"' in chooser and f'value="{as_s2}"' in chooser
    token = csrf_token(client, "/identity/choose")

    # Act as the contact of A.
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": as_a}).status_code == 302
    home = body_of(client.get("/"))
    links = _menu_links(home)
    assert "/key-projects/list/" in links and "/sub-channels/" in links and "/enterprise-channels/" not in links
    assert client.get("/api/v1/menu/").status_code == 403  # no role grants the menu API
    assert w.a.project_names[0] in body_of(client.get("/key-projects/list/"))
    assert client.get("/enterprise-channels/").status_code == 403
    # The switch offers the account's identities, both of them.
    assert f'value="{as_s2}"' in home and w.s2_name in home

    # Switch to the society contact of S2: other menus, other rows.
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": as_s2}).status_code == 302
    home = body_of(client.get("/"))
    links = _menu_links(home)
    assert "/enterprise-channels/" in links and "/key-projects/list/" not in links and "/sub-channels/" not in links
    # (A's name stays in the identity switch: the account is A's contact too.)
    rows = re.findall(r'data-name="([^"]*)"', body_of(client.get("/enterprise-channels/")))
    assert rows == [w.c.name]
    overview = body_of(client.get("/prospect-overview/"))
    assert w.c.applicant_names[0] in overview and w.a.applicant_names[0] not in overview
    assert client.get("/key-projects/list/").status_code == 403
    assert client.get(f"/key-projects/show/{w.a.project_ids['key'][0]}").status_code == 403
    assert client.get("/codes/").status_code == 403

    # Back to A.
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": as_a}).status_code == 302
    assert w.a.project_names[0] in body_of(client.get("/key-projects/list/"))


def test_two_enterprise_identities_switch_across_societies(app, client, world, scoping_world, own_contexts):
    """Acting as A, the account's identity for C (outside A's scope) is still offered and
    can be chosen; C's rows follow only once it is active."""
    from app.models import Channel

    w = scoping_world
    with app.app_context():
        c = db.session.get(Channel, w.c.channel_id)
        account_id, as_c = world.account("双身份DUAL", w.a.contact_mobile, IdentityKind.ENTERPRISE_CONTACT, channel=c)
    login(client, account_id, w.a.contact_identity_id)
    home = body_of(client.get("/"))
    assert f'value="{as_c}"' in home and w.c.name in home
    assert w.c.project_names[0] not in body_of(client.get("/key-projects/list/"))
    token = csrf_token(client, "/identity/choose")
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": as_c}).status_code == 302
    projects = body_of(client.get("/key-projects/list/"))
    assert w.c.project_names[0] in projects and w.a.project_names[0] not in projects


def test_choosing_another_accounts_identity_is_404(app, client, scoping_world, own_contexts):
    w = scoping_world
    login(client, w.a.contact_account_id, w.a.contact_identity_id)
    token = csrf_token(client, "/identity/choose")
    before = snapshot(app)
    for identity_id in (w.b.contact_identity_id, w.c.contact_identity_id, w.s2_contact[1], w.s1_admin[1], 999999):
        response = client.post("/identity/choose", data={"csrf_token": token, "identity_id": identity_id})
        assert response.status_code == 404
        with client.session_transaction() as session:
            assert session["identity_id"] == w.a.contact_identity_id
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": "abc"}).status_code == 400
    assert snapshot(app) == before
    # The switch returns to a page of this site only.
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/", "/%5Cevil.example"):
        response = client.post("/identity/choose", query_string={"next": target}, data={"csrf_token": token, "identity_id": w.a.contact_identity_id})
        location = response.headers["Location"]
        assert response.status_code == 302 and location.startswith("/") and not location.startswith(("//", "/\\")), location
    # Still acting as A.
    assert w.a.project_names[0] in body_of(client.get("/key-projects/list/"))


@pytest.mark.parametrize("disabled", ["a2", "a"])
def test_contact_of_a_disabled_channel_cannot_act(app, client, world, scoping_world, own_contexts, disabled):
    """A2's contact also holds the society contact identity of S2; disabling A2 (or its
    parent A) takes the enterprise identity out of use at once."""
    from app.models import Channel, Society
    from app.services.channels import set_enabled

    w = scoping_world
    with app.app_context():
        s2 = db.session.get(Society, w.s2_id)
        account_id, as_s2 = world.account("二级联系人", w.a2.contact_mobile, IdentityKind.SOCIETY_CONTACT, society=s2)
    as_a2 = w.a2.contact_identity_id
    assert account_id == w.a2.contact_account_id
    login(client, account_id, as_a2)
    assert w.a2.project_names[0] in body_of(client.get("/key-projects/list/"))
    token = csrf_token(client, "/identity/choose")

    with app.app_context():
        set_enabled(db.session.get(Channel, getattr(w, disabled).channel_id), False, actor=None)

    # The stale identity in the session is dropped; the only usable one is taken.
    response = client.get("/key-projects/list/")
    assert response.status_code == 403
    with client.session_transaction() as session:
        assert session.get("identity_id") == as_s2
    chooser = body_of(client.get("/identity/choose"))
    assert f'value="{as_a2}"' not in chooser and f'value="{as_s2}"' in chooser
    before = snapshot(app)
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": as_a2}).status_code == 404
    assert client.get(f"/codes/{w.a2.code_ids[0]}/share").status_code == 403
    assert snapshot(app) == before

    # Without the S2 identity, the contact of the disabled channel has no identity at all.
    from app.models import Identity

    with app.app_context():
        db.session.get(Identity, as_s2).active = False
        db.session.commit()
    login(client, account_id, as_a2)
    assert client.get("/key-projects/list/").status_code == 403
    assert client.get("/codes/").status_code == 403
    with client.session_transaction() as session:
        assert session.get("identity_id") is None
    assert "/key-projects/list/" not in _menu_links(body_of(client.get("/")))


def test_real_login_and_logout_clear_the_identity(app, client, scoping_world, two_identities, own_contexts):
    w = scoping_world
    account_id, as_a, as_s2 = two_identities
    # A browser that still carries an identity from an earlier session.
    with client.session_transaction() as session:
        session["identity_id"] = as_s2
    page = body_of(client.get("/login/"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login/", data={"csrf_token": token, "username": w.a.contact_mobile, "password": PASSWORD})
    assert response.status_code == 302 and "/login/" not in response.headers["Location"]
    with client.session_transaction() as session:
        assert session.get("_user_id") == str(account_id)
        assert "identity_id" not in session

    # Two identities, none chosen: the chooser comes first.
    response = client.get(response.headers["Location"])
    assert response.status_code == 302 and "/identity/choose" in response.headers["Location"]
    token = csrf_token(client, "/identity/choose")
    assert client.post("/identity/choose", data={"csrf_token": token, "identity_id": as_a}).status_code == 302
    assert w.a.project_names[0] in body_of(client.get("/key-projects/list/"))

    response = client.get("/logout/")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "identity_id" not in session and "_user_id" not in session
    assert _is_login_redirect(client.get("/key-projects/list/"))

    # A wrong password logs nobody in.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body_of(client.get("/login/"))).group(1)
    client.post("/login/", data={"csrf_token": token, "username": w.a.contact_mobile, "password": "wrong-password"})
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_rest_login_token_carries_no_identity(app, client, scoping_world, own_contexts):
    """FAB's JSON login hands out a token; with it the backend grants nothing (roles come
    from the active identity of a browser session only)."""
    w = scoping_world
    app.config["JWT_SECRET_KEY"] = "a-test-signing-key-of-32-bytes-or-more"  # the test SECRET_KEY is short
    response = client.post("/api/v1/security/login", json={"username": w.a.contact_mobile, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    bearer = app.test_client()  # no session cookie: the token alone
    menu = bearer.get("/api/v1/menu/", headers=headers)
    assert menu.status_code in (401, 403) and "ProjectManagement" not in body_of(menu)
    for url in ("/key-projects/list/", "/sub-channels/", "/codes/", "/prospect-overview/"):
        response = bearer.get(url, headers=headers)
        assert response.status_code in (302, 401, 403) and w.a.project_names[0] not in body_of(response)


# --------------------------------------------------------------------------------------
# Pages each identity may not open
# --------------------------------------------------------------------------------------


def test_pages_refused_by_identity(app, client, scoping_world, own_contexts):
    w = scoping_world
    project = w.a2.project_ids["key"][0]
    # A level-2 contact cannot configure level-2 enterprises.
    login(client, w.a2.contact_account_id, w.a2.contact_identity_id)
    for url in ("/sub-channels/", "/sub-channels/add", f"/sub-channels/{w.a2.channel_id}/edit", "/enterprise-channels/"):
        assert client.get(url).status_code == 403, url
    assert "/sub-channels/" not in _menu_links(body_of(client.get("/")))

    # A society contact has no codes and no projects.
    login(client, *w.s1_contact)
    for url in ("/codes/", f"/codes/{w.a.code_ids[1]}/share", "/key-projects/list/", "/dispatch-projects/list/", "/key-projects/add", f"/key-projects/show/{project}", "/sub-channels/"):
        assert client.get(url).status_code == 403, url
    links = _menu_links(body_of(client.get("/")))
    assert "/enterprise-channels/" in links and not {"/codes/", "/key-projects/list/", "/dispatch-projects/list/"} & links

    # A society super-admin sees no channel page at all (the overviews it does see:
    # tests/views/test_overviews.py).
    login(client, *w.s1_admin)
    for url in ("/enterprise-channels/", "/enterprise-channels/add", f"/enterprise-channels/{w.a.channel_id}/edit", "/sub-channels/", "/all-channels/list/", f"/all-channels/show/{w.a.channel_id}", "/codes/", "/key-projects/list/"):
        assert client.get(url).status_code == 403, url
    home = body_of(client.get("/"))
    assert not {"/enterprise-channels/", "/sub-channels/", "/all-channels/list/", "/codes/"} & _menu_links(home)
    assert w.a.name not in home and w.b.name not in home


# --------------------------------------------------------------------------------------
# The safety net (app/scoping.py) on its own
# --------------------------------------------------------------------------------------


def test_scope_evicts_what_was_loaded_before_it(app, scoping_world, own_contexts):
    """session.get() answers from the identity map without a statement: rows loaded
    before the scope was switched on must not stay there."""
    from sqlalchemy.orm import aliased

    from app.models import Channel, Identity, Project, ReferralCode
    from app.scoping import disable_scope, enable_scope, scope_for, suspended

    w = scoping_world
    with app.app_context():
        session = db.session
        identity = session.get(Identity, w.a.contact_identity_id)
        a = identity.channel
        loaded = [session.get(Channel, pk) for pk in (w.s1_root_id, w.b.channel_id, w.c.channel_id, w.a2.channel_id)]
        session.get(Project, w.b.project_ids["key"][0])
        session.get(ReferralCode, w.c.code_ids[0])
        assert all(loaded)

        enable_scope(session, scope_for(identity))
        for pk in (w.s1_root_id, w.s2_root_id, w.b.channel_id, w.b2.channel_id, w.c.channel_id):
            assert session.get(Channel, pk) is None, pk
        assert session.get(Project, w.b.project_ids["key"][0]) is None
        assert session.get(ReferralCode, w.c.code_ids[0]) is None
        assert session.get(Channel, w.a.channel_id) is a and session.get(Channel, w.a2.channel_id) is not None
        assert session.get(Project, w.a2.project_ids["key"][0]) is not None

        # Statements that join Channel under an alias carry the criteria on the alias.
        parent = aliased(Channel)
        names = session.scalars(select(Project.name).join(parent, Project.channel_id == parent.id).order_by(parent.name)).all()
        assert set(names) == set(w.a.project_names + w.a2.project_names)

        # The identity switch reads unscoped, and leaves nothing foreign behind.
        with suspended(session):
            assert session.get(Channel, w.c.channel_id) is not None
        assert session.get(Channel, w.c.channel_id) is None
        assert session.get(Channel, w.a.channel_id) is a
        disable_scope(session)


@pytest.mark.parametrize("kind", ["society_admin", "contact_a2"])
def test_narrow_scopes(app, scoping_world, own_contexts, kind):
    from app.models import (
        Channel,
        Identity,
        Project,
        ProspectiveApplication,
        ReferralCode,
    )
    from app.scoping import disable_scope, enable_scope, scope_for

    w = scoping_world
    identity_id = w.s1_admin[1] if kind == "society_admin" else w.a2.contact_identity_id
    with app.app_context():
        session = db.session
        identity = session.get(Identity, identity_id)
        enable_scope(session, scope_for(identity))
        channels = session.scalars(select(Channel.id)).all()
        projects = session.scalars(select(Project.channel_id)).all()
        codes = session.scalars(select(ReferralCode.channel_id)).all()
        applications = session.scalars(select(ProspectiveApplication.channel_id)).all()
        disable_scope(session)
    if kind == "society_admin":
        assert channels == projects == codes == applications == []
    else:
        assert channels == [w.a2.channel_id]
        assert set(projects) == set(codes) == set(applications) == {w.a2.channel_id}
