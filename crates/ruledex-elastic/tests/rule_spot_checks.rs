//! Spot checks of the Elastic front-end on ten named rules of the pinned
//! corpus, one per language and rule type: the normalized logic (one-line
//! form) and aggregation are compared exactly. Each expectation was checked
//! by hand against the rule's query.

use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

macro_rules! spot_checks {
    ($($name:ident: $path:expr => $logic:expr, $agg:expr;)*) => {$(
        #[test]
        fn $name() {
            let Some(dir) = corpus() else { return };
            let path = dir.join($path);
            let text = std::fs::read_to_string(&path).expect("rule file");
            let parsed = ruledex_elastic::parse_elastic($path, &text);
            assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            let rule = &parsed.rules[0];
            assert!(rule.logic.is_fully_parsed(), "{}", rule.logic.expr);
            assert_eq!(rule.logic.expr.to_string(), $logic);
            let agg: Option<&str> = $agg;
            assert_eq!(rule.logic.aggregation.as_ref().map(ToString::to_string).as_deref(), agg);
        }
    )*};
}

spot_checks! {
    seed_001_network_scan_threshold: "rules/linux/discovery_ping_sweep_detected.toml" => r#"event.category eq:cased "process" and host.os.type eq:cased "linux" and event.type eq:cased "start" and event.action in:cased any["exec", "exec_event", "executed", "process_started", "start", "ProcessRollup2"] and process.name in:cased any["ping", "nping", "hping", "hping2", "hping3", "nc", "ncat", "netcat", "socat"]"#, Some(r"threshold: count >= 1; distinct process.args >= 100; by host.id, process.parent.entity_id, process.executable; window now-9m");
    kql_new_terms_gke_exec: "rules/integrations/gcp/execution_gcp_gke_user_exec_into_pod.toml" => r#"data_stream.dataset eq:cased "gcp.audit" and event.action in:cased any["io.k8s.core.v1.pods.exec.create", "io.k8s.core.v1.pods.exec.get"] and not user.email starts_with:cased "system:""#, Some(r"new_terms: user.email, orchestrator.resource.name not seen since now-7d; window now-6m");
    kql_value_list_with_not: "rules/linux/privilege_escalation_container_runc_init_effective_root_auditd.toml" => r#"host.os.type eq:cased "linux" and event.category eq:cased "process" and event.action in:cased any["executed", "exec"] and process.title eq:cased "runc init" and user.effective.id eq:cased 0 and user.id exists true and not user.id eq:cased 0"#, None;
    lucene_deprecated_setgid: "rules/_deprecated/privilege_escalation_setgid_bit_set_via_chmod.toml" => r#"event.category eq "process" and event.type eq "start or process_started" and process.name eq "chmod" and (process.args eq "g+s" or process.args regex:cased "^(?:2[0-9]{3})$") and not user.name eq "root""#, None;
    esql_fin7_c2: "rules/network/command_and_control_fin7_c2_behavior.toml" => r#"(data_stream.dataset in:cased any["network_traffic.tls", "network_traffic.http"] or (event.category in:cased any["network", "network_traffic"] and network.protocol in:cased any["tls", "http"] and network.transport eq:cased "tcp")) and destination.domain regex:cased:s "^[a-zA-Z]{4,5}\\.(pw|us|club|info|site|top)$" and not destination.domain eq:cased "zoom.us""#, None;
    esql_stats_threshold_gcp_burst: "rules/integrations/gcp/discovery_gcp_gke_api_request_failure_burst.toml" => r#"data_stream.dataset eq:cased "gcp.audit" and service.name eq:cased "k8s.io" and event.outcome eq:cased "failure" and not event.type eq:cased "allowed" and user.email is_not_null and not user.email regex:cased:s "^(system:serviceaccount:|system:gke-spiffe-controller|system:kube-scheduler|system:node:)""#, Some(r"threshold: count >= 10; by user.email, source.ip, user_agent.original, data_stream.namespace; Esql.unique_actions = count_distinct(event.action); Esql.failures_count = count(); Esql.actions = values(event.action); Esql.resources = values(orchestrator.resource.name); window 5 minutes");
    eql_sequence_scheduled_task: "rules/windows/persistence_local_scheduled_task_scripting.toml" => r#"(host.os.type eq:cased "windows" and (event.category in any["library", "driver"] or (event.category eq:cased "process" and event.action starts_with "Image loaded")) and (dll.name eq "taskschd.dll" or file.name eq "taskschd.dll") and process.name in any["cscript.exe", "wscript.exe", "powershell.exe", "pwsh.exe", "powershell_ise.exe"]) or (host.os.type eq:cased "windows" and event.type eq:cased "change" and registry.value eq "Actions" and registry.path wildcard any["HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tasks\\\\*\\\\Actions", "\\\\REGISTRY\\\\MACHINE\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tasks\\\\*\\\\Actions"])"#, Some(r#"sequence of 2 steps
    [1] host.os.type eq:cased "windows" and (event.category in any["library", "driver"] or (event.category eq:cased "process" and event.action starts_with "Image loaded")) and (dll.name eq "taskschd.dll" or file.name eq "taskschd.dll") and process.name in any["cscript.exe", "wscript.exe", "powershell.exe", "pwsh.exe", "powershell_ise.exe"]
    [2] host.os.type eq:cased "windows" and event.type eq:cased "change" and registry.value eq "Actions" and registry.path wildcard any["HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tasks\\\\*\\\\Actions", "\\\\REGISTRY\\\\MACHINE\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Schedule\\\\TaskCache\\\\Tasks\\\\*\\\\Actions"]; by host.id; window 30s"#);
    eql_cidrmatch_ollama: "rules/cross-platform/initial_access_ollama_api_external_access.toml" => r#"event.action eq:cased "connection_accepted" and process.name in:cased any["ollama", "ollama.exe"] and destination.port eq 11434 and source.ip is_not_null and not source.ip eq:cased "0.0.0.0" and not source.ip cidr any["10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "::1", "fe80::/10", "fc00::/7", "ff00::/8"]"#, None;
    eql_nested_nots_whoami: "rules/windows/discovery_whoami_command_activity.toml" => r#"host.os.type eq:cased "windows" and event.type eq:cased "start" and process.name eq "whoami.exe" and (((((user.domain starts_with "NT " or user.domain ends_with " NT" or user.domain eq "IIS APPPOOL") and (user.id in any["S-1-5-18", "S-1-5-19", "S-1-5-20"] or user.id starts_with "S-1-5-82-") and not winlog.event_data.SubjectUserName ends_with "$" and not data_stream.dataset in any["windows.sysmon_operational", "windows.sysmon"]) or process.Ext.token.integrity_level_name eq "System" or winlog.event_data.IntegrityLevel eq "System") and not (process.parent.name eq "cmd.exe" and (process.parent.args in any["chcp 437>nul 2>&1 & C:\\WINDOWS\\System32\\whoami.exe  /groups", "chcp 437>nul 2>&1 & %systemroot%\\system32\\whoami /user", "C:\\WINDOWS\\System32\\whoami.exe /groups"] or process.parent.args contains "WINDOWS\\system32\\config\\systemprofile")) and not (process.parent.executable eq "C:\\Windows\\system32\\inetsrv\\appcmd.exe" and process.parent.args eq "LIST") and not process.parent.executable in any["C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\MonitoringHost.exe", "C:\\Program Files\\Cohesity\\cohesity_windows_agent_service.exe"]) or process.parent.name in any["wsmprovhost.exe", "w3wp.exe", "wmiprvse.exe", "rundll32.exe", "regsvr32.exe"])"#, None;
    kql_threshold_o365_spraying: "rules/_deprecated/credential_access_microsoft_365_potential_password_spraying_attack.toml" => r#"event.dataset eq:cased "o365.audit" and event.provider in:cased any["Exchange", "AzureActiveDirectory"] and event.category eq:cased "authentication" and event.action in:cased any["UserLoginFailed", "PasswordLogonInitialAuthUsingPassword"]"#, Some(r"threshold: count >= 25; by source.ip; window now-30m");
}
