//! Tests of secrets assigned in code and config, including whole Livebook and Python snippets.

use serde_json::json;

use crate::redact::testing::{kept, payload, text};

#[test]
fn aws_secret_keys_in_assignments() {
    assert_eq!(
        text("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion=eu"),
        "aws_secret_access_key=[REDACTED]\nregion=eu"
    );
}

#[test]
fn secret_assignments_in_code_keep_the_code() {
    assert_eq!(text("password = \"hunter2\""), "password = \"[REDACTED]\"");
    assert_eq!(text("api_key: 'abc'"), "api_key: '[REDACTED]'");
    assert_eq!(text("TOKEN=abc123"), "TOKEN=[REDACTED]");
    assert_eq!(
        text("export API_KEY=plainletters"),
        "export API_KEY=[REDACTED]"
    );
    assert_eq!(
        text("headers[\"Authorization\"] = \"Bearer abc\""),
        "headers[\"Authorization\"] = \"Bearer [REDACTED]\""
    );
    assert_eq!(
        text("%{\"password\" => \"pw\", :secret => \"s\"}"),
        "%{\"password\" => \"[REDACTED]\", :secret => \"[REDACTED]\"}"
    );
    assert_eq!(text("@api_key \"abc\""), "@api_key \"[REDACTED]\"");
    assert_eq!(
        text("GET /cb?access_token=abcdef&state=1"),
        "GET /cb?access_token=[REDACTED]&state=1"
    );
    assert_eq!(
        text("{\"user\":\"bob\",\"password\":\"p w\"}"),
        "{\"user\":\"bob\",\"password\":\"[REDACTED]\"}"
    );
    assert_eq!(
        text("secret = \"\"\"\nline1\nline2\n\"\"\""),
        "secret = \"\"\"[REDACTED]\"\"\""
    );
    assert_eq!(text("Invalid token: abc123"), "Invalid token: [REDACTED]");
}

#[test]
fn references_calls_and_counts_in_code_are_not_secrets() {
    kept("password = get_password()");
    kept("conn = connect(password: password, token: opts.token)");
    kept("password: nil");
    kept("token = System.get_env(\"TOKEN\")");
    kept("TOKEN=$TOKEN");
    kept("token_count = 5");
    kept("max_tokens=100");
    kept("if password == nil do");
    kept("Reset password: sent to bob");
    kept("{\"field\": \"password\", \"x\": \"y\"}");
    kept("headers = [{\"authorization\", \"Bearer \" <> token}]");
    kept("x != y; a <= b; t = 10:00:00");
}

#[test]
fn livebook_code_with_several_secrets_on_several_lines() {
    let code = "Mix.install([{:req, \"~> 0.5\"}])\n\
                api_key = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"\n\
                headers = [{\"authorization\", \"Bearer \" <> token}]\n\
                db = \"postgres://admin:s3cret@db:5432/app\"\n\
                System.put_env(\"AWS_SECRET_ACCESS_KEY\", \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\")\n\
                IO.puts(\"done\")";
    let (out, pointers) = payload(json!({"code": code, "session_mode": "attached"}));
    assert_eq!(
        out,
        json!({
            "code": "Mix.install([{:req, \"~> 0.5\"}])\n\
                     api_key = \"[REDACTED]\"\n\
                     headers = [{\"authorization\", \"Bearer \" <> token}]\n\
                     db = \"postgres://admin:[REDACTED]@db:5432/app\"\n\
                     System.put_env(\"AWS_SECRET_ACCESS_KEY\", \"[REDACTED]\")\n\
                     IO.puts(\"done\")",
            "session_mode": "attached"
        })
    );
    assert_eq!(pointers, ["/payload/code"]);
}

#[test]
fn python_code_with_several_secrets() {
    assert_eq!(
        text(
            "conn = psycopg2.connect(host=\"db\", user=\"bob\", password=\"hunter2\")\n\
             headers[\"Authorization\"] = \"Bearer abc123def456\"\n\
             TOKEN=abc123\n\
             client = Client(api_key=os.environ[\"API_KEY\"], timeout=30)\n\
             secret = 'xyz'"
        ),
        "conn = psycopg2.connect(host=\"db\", user=\"bob\", password=\"[REDACTED]\")\n\
         headers[\"Authorization\"] = \"Bearer [REDACTED]\"\n\
         TOKEN=[REDACTED]\n\
         client = Client(api_key=os.environ[\"API_KEY\"], timeout=30)\n\
         secret = '[REDACTED]'"
    );
}

/// JSON written inside a string escapes its quotes (curl bodies, logged request errors): the value
/// between the escaped quotes is redacted, and nothing around it is lost.
#[test]
fn escaped_json_inside_strings() {
    assert_eq!(
        text(r#"curl -d "{\"user\":\"bob\",\"password\":\"hunter2\"}" https://x"#),
        r#"curl -d "{\"user\":\"bob\",\"password\":\"[REDACTED]\"}" https://x"#
    );
    assert_eq!(
        text(r#"body: {\"api_key\": \"abc\\\"def\"}"#),
        r#"body: {\"api_key\": \"[REDACTED]\"}"#
    );
}

/// An unquoted header's credential follows its scheme, whatever the scheme.
#[test]
fn unquoted_authorization_headers_keep_only_the_scheme() {
    assert_eq!(
        text("curl -H 'Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b' https://api"),
        "curl -H 'Authorization: Token [REDACTED]' https://api"
    );
    assert_eq!(
        text("Authorization: ApiKey xyz123\n"),
        "Authorization: ApiKey [REDACTED]\n"
    );
    assert_eq!(text("DB_PASS=hunter2"), "DB_PASS=[REDACTED]");
}

/// Presigned URLs carry a signature that grants access until it expires: S3's, Google Cloud
/// Storage's and CloudFront's, and an Azure shared access signature's `sig`.
#[test]
fn presigned_url_signatures() {
    assert_eq!(
        text("GET https://b.s3.amazonaws.com/r.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240501T100000Z&X-Amz-Signature=9f2c4e1d7a&x=1"),
        "GET https://b.s3.amazonaws.com/r.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240501T100000Z&X-Amz-Signature=[REDACTED]&x=1"
    );
    assert_eq!(
        text("https://a.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig=Ab%2Bcd%3D"),
        "https://a.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig=[REDACTED]"
    );
    assert_eq!(
        text("https://d111.cloudfront.net/v.mp4?Expires=1714557600&Signature=Zx9~ab-Cd&Key-Pair-Id=K2J"),
        "https://d111.cloudfront.net/v.mp4?Expires=1714557600&Signature=[REDACTED]&Key-Pair-Id=K2J"
    );
    let (stored, pointers) =
        payload(json!({"signature": "Zx9ab", "signature_method": "HMAC-SHA1", "signal": "go"}));
    assert_eq!(
        stored,
        json!({"signature": "[REDACTED]", "signature_method": "HMAC-SHA1", "signal": "go"})
    );
    assert_eq!(pointers, ["/payload/signature"]);
}

/// Command-line options holding a secret: the value after a blank when it looks like one (many
/// such options take no value); the next option is not a value.
#[test]
fn command_line_options() {
    assert_eq!(
        text("mysql --user root --password hunter2 --host db"),
        "mysql --user root --password [REDACTED] --host db"
    );
    kept("pg_dump --password mydb");
    kept("docker login --password-stdin registry.io");
    kept("curl --cookie-jar cookies.txt https://x");
    kept("started with --auth disabled");
    assert_eq!(
        text("cli login --api-key \"abc def\" --token=x1"),
        "cli login --api-key \"[REDACTED]\" --token=[REDACTED]"
    );
    assert_eq!(
        text("System.cmd(\"psql\", [\"-h\", \"db\", \"--password\", \"pw\"])"),
        "System.cmd(\"psql\", [\"-h\", \"db\", \"--password\", \"[REDACTED]\"])"
    );
    assert_eq!(
        text("subprocess.run(['mysql', '--user', 'root', '--password', 'hunter2'])"),
        "subprocess.run(['mysql', '--user', 'root', '--password', '[REDACTED]'])"
    );
    kept("pg_dump --password --verbose db");
    kept("pg_dump --password\n");
    kept("run --timeout 30 --name job");
    kept("a--password b");
}

/// Elixir atoms as keys, paired with their value by a comma.
#[test]
fn elixir_atom_keys_before_a_comma() {
    assert_eq!(
        text(r#"Application.put_env(:ex_aws, :secret_access_key, "wJalrXUtnFEMI")"#),
        r#"Application.put_env(:ex_aws, :secret_access_key, "[REDACTED]")"#
    );
    assert_eq!(
        text(r#"opts = [{:password, "hunter2"}, {:user, "bob"}]"#),
        r#"opts = [{:password, "[REDACTED]"}, {:user, "bob"}]"#
    );
    assert_eq!(
        text(r#"Keyword.put(o, :password, "x1")"#),
        r#"Keyword.put(o, :password, "[REDACTED]")"#
    );
    kept(r#"Enum.map(list, :name, "x")"#);
    kept(r#"f(password, "not a pair")"#);
}

/// SQL sets passwords with a keyword, not an operator.
#[test]
fn sql_passwords() {
    assert_eq!(
        text("ALTER ROLE app WITH PASSWORD 'Winter2024'"),
        "ALTER ROLE app WITH PASSWORD '[REDACTED]'"
    );
    assert_eq!(
        text("create user 'bob'@'%' identified by 's3cr3t';"),
        "create user 'bob'@'%' identified by '[REDACTED]';"
    );
    kept("SELECT 'password' FROM t WHERE by = 'x'");
    kept("it's a passwordless 'login'");
}

/// `user:password` after curl's `-u` or `--user`.
#[test]
fn user_options_with_a_password() {
    assert_eq!(
        text("curl -u bob:hunter2 https://api.example.com"),
        "curl -u bob:[REDACTED] https://api.example.com"
    );
    assert_eq!(
        text("wget --user admin:s3cret! http://x"),
        "wget --user admin:[REDACTED] http://x"
    );
    kept("ls -u bob");
    kept("run --user bob");
    kept("time 10:30 -u");
}

#[test]
fn user_options_at_the_start_and_inside_words() {
    assert_eq!(text("--user a:b1"), "--user a:[REDACTED]");
    kept("make-u x:y");
}
