//! Organizations in the fleet file: the documented example, TOML round trip,
//! validation with file, line and column, the generator's organization.

use tcss_sim::fleet::FleetError;
use tcss_sim::{FaultKind, Fleet, GenOptions};

/// The example of docs/simulator.md ("Organizations").
const EXAMPLE: &str = r#"
[settings]
organization_rate_limit = 20

[[accounts]]
uin = "100000000001"
name = "org-management"
keys = [{ secret_id = "AKIDexampleorg0001", secret_key = "example-secret" }]

[[accounts]]
uin = "200000000001"
name = "payments-prod"
roles = [{ name = "OrganizationAccessControlRole", trusted = ["100000000001"] }]

[[accounts]]
uin = "200000000002"
name = "sandbox"                     # no role the management account may assume

[[accounts]]
uin = "200000000003"
roles = [{ name = "OrganizationAccessControlRole", trusted = ["100000000001"] }]

[[organizations]]
name = "corp"
management_uin = "100000000001"
faults = { first_n = 1, join_between_pages = 1 }

[[organizations.members]]
uin = "100000000001"
name = "corp-management"

[[organizations.members]]
uin = "200000000001"
name = "payments"
node_id = 1001
node_name = "Payments"
tags = { env = "prod", cost_center = "cc-42" }

[[organizations.members]]
uin = "200000000002"
name = "payments"                    # two members may share a Name
node_id = 1002
node_name = "Sandbox"
null_fields = ["Remark", "Tags"]

[[organizations.members]]
uin = "200000000003"                 # joins after the first page
name = "newcomer"
"#;

#[test]
fn documented_example_parses_and_round_trips() {
    let f = Fleet::from_toml_str(EXAMPLE).expect("parses");
    f.validate().expect("valid");
    let [org] = f.organizations() else {
        panic!("one organization")
    };
    assert_eq!(org.management_uin, "100000000001");
    assert_eq!(org.members.len(), 4);
    assert_eq!(org.members[1].tags["cost_center"], "cc-42");
    assert_eq!(org.members[2].null_fields, vec!["Remark", "Tags"]);
    assert_eq!(org.faults.first_n, 1);
    assert_eq!(org.faults.first_kind, None);
    assert_eq!(org.faults.join_between_pages, 1);
    assert_eq!(f.settings.organization_rate_limit, 20);

    let text = f.to_toml_string().expect("serializes");
    assert!(text.contains("[[organizations]]"), "{text}");
    assert!(!text.contains("[settings.organizations"), "{text}");
    let back = Fleet::from_toml_str(&text).expect("re-parses");
    assert_eq!(back, f);

    let mut g = f.clone();
    g.settings.organizations[0].faults.first_kind = Some(FaultKind::Http502);
    let back = Fleet::from_toml_str(&g.to_toml_string().expect("serializes")).expect("parses");
    assert_eq!(back, g);
}

#[test]
fn organizations_are_not_a_settings_key() {
    let e = Fleet::from_toml_str("[settings]\norganizations = []\n").expect_err("unknown key");
    assert!(matches!(e, FleetError::Parse { line: 2, .. }), "{e}");
    let e = Fleet::from_toml_str(
        "[[organizations]]\nname = \"x\"\nmanagement_uin = \"1\"\ncolour = 1\n",
    )
    .expect_err("unknown key");
    assert!(
        matches!(
            e,
            FleetError::Parse {
                line: 4,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
}

/// Loads `EXAMPLE` with `from` replaced by `to`; the error and where it points.
fn load_error(from: &str, to: &str) -> (String, usize, usize) {
    assert!(EXAMPLE.contains(from), "{from}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, EXAMPLE.replacen(from, to, 1)).expect("write");
    let e = Fleet::load(&path).expect_err("invalid");
    let shown = e.to_string();
    match e {
        FleetError::InvalidAt {
            file,
            line,
            column,
            message,
        } => {
            assert_eq!(file, path);
            assert!(
                shown.starts_with(&format!("{}:{line}:{column}: ", path.display())),
                "{shown}"
            );
            (message, line, column)
        }
        other => panic!("not located: {other:?}"),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("needle in text")
}

#[test]
fn validation_names_file_line_and_column() {
    let mgmt = "management_uin = \"100000000001\"";
    let (m, line, column) = load_error(mgmt, "management_uin = \"999\"");
    assert!(m.contains("not an account of the fleet"), "{m}");
    assert_eq!((line, column), (line_of(EXAMPLE, mgmt), 18));

    let (m, line, _) = load_error(mgmt, "management_uin = \"200000000001\"");
    assert!(m.contains("has no keys"), "{m}");
    assert_eq!(line, line_of(EXAMPLE, mgmt));

    let member = "uin = \"200000000003\"                 #";
    let (m, line, column) = load_error(member, "uin = \"200000000001\" #");
    assert!(m.contains("duplicate member uin"), "{m}");
    assert_eq!((line, column), (line_of(EXAMPLE, "# joins"), 7));

    let (m, ..) = load_error(member, "uin = \"200000000009\" #");
    assert!(
        m.contains("members[3]") && m.contains("not an account"),
        "{m}"
    );

    let (m, line, _) = load_error("\"Remark\", \"Tags\"", "\"Remarks\"");
    assert!(m.contains("Remarks"), "{m}");
    assert_eq!(line, line_of(EXAMPLE, "null_fields"));

    let (m, line, _) = load_error("join_between_pages = 1", "join_between_pages = 5");
    assert!(m.contains("join_between_pages"), "{m}");
    assert_eq!(line, line_of(EXAMPLE, "join_between_pages"));

    let (m, line, _) = load_error(
        "faults = { first_n = 1, join_between_pages = 1 }",
        "faults = { persistent_error = \" \" }",
    );
    assert!(m.contains("persistent_error is empty"), "{m}");
    assert_eq!(line, line_of(EXAMPLE, "faults = {"));
}

#[test]
fn in_memory_validation_and_other_organizations() {
    let base = Fleet::from_toml_str(EXAMPLE).expect("parses");
    let mut f = base.clone();
    let mut second = f.settings.organizations[0].clone();
    second.name = "corp".into();
    f.settings.organizations.push(second.clone());
    let e = f.validate().expect_err("duplicate name");
    assert!(matches!(e, FleetError::Invalid(_)));
    assert!(e.to_string().contains("name is empty or duplicated"), "{e}");
    f.settings.organizations[1].name = "corp-2".into();
    let e = f
        .validate()
        .expect_err("second organization of one manager");
    assert!(e.to_string().contains("already manages"), "{e}");

    let mut f = base.clone();
    let mut other = base.accounts[0].clone();
    other.uin = "100000000002".into();
    other.keys[0].secret_id = "AKIDexampleorg0002".into();
    f.accounts.push(other);
    second.name = "other".into();
    second.management_uin = "100000000002".into();
    second.faults = Default::default();
    second.members.truncate(2);
    f.settings.organizations.push(second);
    let e = f.validate().expect_err("a member of two organizations");
    assert!(
        e.to_string()
            .contains("already a member of organization \"corp\""),
        "{e}"
    );
    f.settings.organizations[1].members.truncate(0);
    f.validate()
        .expect("an organization without members is valid");

    let mut f = base;
    f.settings.organization_rate_limit = 0;
    assert!(f.validate().is_err());
}

#[test]
fn generated_organization_round_trips() {
    let f = Fleet::generate(&GenOptions {
        accounts: 30,
        organization: Some("acme".into()),
        ..GenOptions::default()
    });
    f.validate().expect("valid");
    let back = Fleet::from_toml_str(&f.to_toml_string().expect("serializes")).expect("parses");
    assert_eq!(back, f);
    assert_eq!(back.organizations()[0].members.len(), 30);
}
