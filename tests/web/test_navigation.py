"""The navigation shows each role its links, and only links the app serves."""
from __future__ import annotations

from tests.fixtures.web import login


def test_links_follow_roles_and_existing_endpoints(app, make_user) -> None:  # type: ignore[no-untyped-def]
    assert "models.index" in app.view_functions  # web.modeler serves /models
    make_user("owner", roles=[("process_owner", None, None)])
    make_user("insp", roles=[("inspector", "海曙区", None)])

    owner = app.test_client()
    login(owner, "owner")
    page = owner.get("/?lang=en").get_data(as_text=True)
    assert 'href="/models"' in page and "Process models" in page
    assert "Audit trail" not in page  # not served yet, and not the owner's anyway

    inspector = app.test_client()
    login(inspector, "insp")
    page = inspector.get("/?lang=en").get_data(as_text=True)
    assert 'href="/models"' not in page
    assert '<a href="/" aria-current="page">Home</a>' in page


def nav_links(page: str) -> list[str]:
    import re

    nav = page.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


def test_each_role_sees_its_pages(app, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ent", roles=[("enterprise", None, "91330200MA2AAAAA1X")])
    make_user("aud", roles=[("auditor", None, None)])
    make_user("insp", roles=[("inspector", "海曙区", None)])
    make_user("boss", roles=[("district_admin", "海曙区", None)])
    expected = {
        "ent": ["/", "/portal", "/inbox"],
        "aud": ["/", "/dashboard", "/audit"],
        "insp": ["/", "/inbox", "/cases"],
        "boss": ["/", "/inbox", "/cases", "/dashboard"],
    }
    for username, links in expected.items():
        client = app.test_client()
        login(client, username)
        shown = [link for link in nav_links(client.get("/").get_data(as_text=True)) if link in
                 ("/", "/portal", "/inbox", "/cases", "/dashboard", "/audit", "/models")]
        assert shown == links, username


def test_the_inbox_link_counts_open_tasks_and_marks_its_section(app, make_user, services) -> None:  # type: ignore[no-untyped-def]
    from engine import Actor, BpmnFile, Scope
    from storage import Project
    from tests.fixtures import bpmn

    make_user("insp", roles=[("inspector", "海曙区", None)])
    model = bpmn.process("nav_p", '<bpmn:startEvent id="s"/>' + bpmn.user_task("t", "检查") + '<bpmn:endEvent id="e"/>'
                         + bpmn.flow("f1", "s", "t") + bpmn.flow("f2", "t", "e"), lanes={"inspector": ["t"]})
    admin = Actor("seed", None, (Scope("admin"),))
    with services.session_factory.begin() as session:
        project = Project(code="NAV-1", name="导航测试工程", district="海曙区")
        session.add(project)
        session.flush()
        services.engine.deploy(session, [BpmnFile("nav.bpmn", model)], admin)
        for _ in range(3):
            services.engine.start_case(session, "nav_p", {}, admin, project_id=project.id)
    client = app.test_client()
    login(client, "insp")
    page = client.get("/").get_data(as_text=True)
    assert 'id="nav-inbox-count"' in page and '<span aria-hidden="true">3</span>' in page
    assert "您有 3 项待办任务" in page
    task_page = client.get("/tasks/1").get_data(as_text=True)
    assert '<a href="/inbox" aria-current="true">' in task_page  # the inbox's section
    assert '<a href="/inbox" aria-current="page">' in client.get("/inbox").get_data(as_text=True)
