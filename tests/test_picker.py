"""Picking people and units: the directory the picker searches, and unknown names confirmed, never
created by a typo."""
import sqlalchemy as sa

from rectify.models import Measure, Person, Role


def test_the_directory_lists_people_with_their_unit_account_and_pinyin(client, session, login_as, make_department):
    login_as(Role.SUPERVISOR, name="孙丽", department="党政综合办公室")
    session.add_all([Person(name="周洁", department=make_department("组织人事部")), Person(name="周杰")])
    session.commit()
    data = client.get("/directory.json").json
    people = {p["name"]: p for p in data["people"]}
    assert people["周洁"]["unit"] == "组织人事部" and people["周洁"]["account"] is False
    assert {"zhoujie", "zj"} <= set(people["周洁"]["keys"])
    assert people["孙丽"]["account"] is True  # a user no ledger named yet
    units = {u["name"]: u for u in data["units"]}
    assert "zzrsb" in units["组织人事部"]["keys"]


def test_an_unknown_name_is_refused_until_confirmed_and_a_near_miss_is_named(client, session, login_as, make_measure,
                                                                            make_department):
    login_as(Role.SUPERVISOR)
    session.add(Person(name="周洁", department=make_department("组织人事部")))
    session.commit()
    measure = make_measure(text="建立台账")
    form = {"text": "建立台账", "lead_unit_id": 0, "owners": "周杰", "version": measure.version}
    refused = client.post(f"/measures/{measure.id}/edit", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "人员名单中没有“周杰”（与周洁（组织人事部）只差一个字）" in page
    assert 'name="new_people" value="周杰"' in page and "新建人员“周杰”" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.name == "周杰")) == 0
    confirmed = client.post(f"/measures/{measure.id}/edit", data={**form, "new_people": "周杰"})
    assert confirmed.status_code == 302
    session.expire_all()
    assert [p.name for p in session.get(Measure, measure.id).owners] == ["周杰"]


def test_bulk_assignment_refuses_unknown_names(client, session, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    measure = make_measure()
    response = client.post("/list/assign", data={"ids": [measure.id], "lead_unit_id": 0, "owners": "王五", "next": "/list"},
                           follow_redirects=True)
    assert "人员名单中没有“王五”" in response.get_data(as_text=True)
    done = client.post("/list/assign", data={"ids": [measure.id], "lead_unit_id": 0, "owners": "王五",
                                             "new_people": "王五", "next": "/list"})
    assert done.status_code == 302
    session.expire_all()
    assert [p.name for p in session.get(Measure, measure.id).owners] == ["王五"]


def test_the_new_problem_form_refuses_unknown_leaders(client, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    measure = make_measure()
    response = client.post(f"/batches/{measure.problem.batch_id}/problems/new",
                           data={"description": "问题", "lead_unit_id": 0, "leaders": "赵六"})
    assert response.status_code == 400 and "人员名单中没有“赵六”" in response.get_data(as_text=True)


def test_fields_carry_the_picker(client, login_as, make_measure):
    login_as(Role.SUPERVISOR)
    measure = make_measure()
    page = client.get(f"/measures/{measure.id}/edit").get_data(as_text=True)
    assert page.count('data-picker="people"') == 2 and 'data-picker="units"' in page and 'data-picker="unit"' in page
