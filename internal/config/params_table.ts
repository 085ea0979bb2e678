/**
 * params_table — the built-in Postfix 3.7 main.cf parameters: name, type and default (descriptions are in
 * params_doc.ts, loaded only by the tools that print them).
 *
 * Format of PARAM_TABLE: one string of lines `name<TAB>type<TAB>default`, starting and ending with a newline, sorted
 * by name (plain code-unit order, as `postconf` sorts). One string constant costs next to nothing to load, and a
 * lookup is one indexOf() for "\nNAME\t": no index is built at start-up. The set of names is exactly what Debian's
 * Postfix 3.7.11 prints for `postconf -c EMPTYDIR -d` with an empty main.cf and master.cf: the built-in
 * parameters, without the per-service ones (`relay_destination_concurrency_limit` …) that master.cf services add.
 *
 *   name     the parameter name as it appears in main.cf
 *   type     one of ParamType; a time parameter is written "time:U", where U (s, m, h, d or w) is the unit
 *            Postfix applies to a bare number. Postfix takes U from the first letter of the evaluated
 *            default, so "5d" gives d and "${stress?{10}:{300}}s" gives s.
 *              str    string, $name expanded when used      raw    string, never $-expanded
 *              int    integer                               long   integer that may exceed 32 bits
 *              bool   yes/no                                time   number plus optional unit letter
 *              nint   integer whose default may use $name   nbool  yes/no whose default may use $name
 *   default  byte for byte what `postconf -d` prints after "name = " (whitespace already normalised,
 *            $name references and ${…} conditionals left unexpanded); "" for the COMPUTED_DEFAULTS
 *
 * Contract: never read main.cf or the host here. Defaults that depend on the machine or the running process are
 * listed in COMPUTED_DEFAULTS and carry "" in the table; the config module computes them.
 *
 * Corresponds to Postfix's parameter tables (mail_params.h, the CONFIG_*_TABLE arrays of each daemon) as
 * collected by postconf(1) into its built-in table. Checked against /usr/sbin/postconf by params_table_test.ts.
 */

/** The value types of Postfix parameters. */
export type ParamType = "str" | "raw" | "int" | "long" | "bool" | "time" | "nint" | "nbool";

/**
 * Parameters whose default Postfix computes at run time; their PARAMS default is "". The comment says how.
 */
export const COMPUTED_DEFAULTS: readonly string[] = [
  "mail_release_date", // that release's date (MAIL_RELEASE_DATE in version.ts)
  "mail_version", // the Postfix release postkit matches (MAIL_VERSION in version.ts)
  "mydomain", // myhostname minus its first label; "localdomain" when it has only one
  "myhostname", // gethostname(); a name without a dot gets ".$mydomain" appended
  "mynetworks", // from mynetworks_style and the addresses of the local network interfaces
  "process_id", // the process ID of the running program
  "process_name", // the name the running program was started as
];

/** The built-in parameters: "\nname\ttype\tdefault\n…" (see the header). */
export const PARAM_TABLE =
  "\n" +
  "2bounce_notice_recipient\tstr\tpostmaster\n" +
  "access_map_defer_code\tint\t450\n" +
  "access_map_reject_code\tint\t554\n" +
  "address_verify_cache_cleanup_interval\ttime:h\t12h\n" +
  "address_verify_default_transport\tstr\t$default_transport\n" +
  "address_verify_local_transport\tstr\t$local_transport\n" +
  "address_verify_map\tstr\tbtree:$data_directory/verify_cache\n" +
  "address_verify_negative_cache\tbool\tyes\n" +
  "address_verify_negative_expire_time\ttime:d\t3d\n" +
  "address_verify_negative_refresh_time\ttime:h\t3h\n" +
  "address_verify_pending_request_limit\tint\t5000\n" +
  "address_verify_poll_count\tnint\t${stress?{1}:{3}}\n" +
  "address_verify_poll_delay\ttime:s\t3s\n" +
  "address_verify_positive_expire_time\ttime:d\t31d\n" +
  "address_verify_positive_refresh_time\ttime:d\t7d\n" +
  "address_verify_relay_transport\tstr\t$relay_transport\n" +
  "address_verify_relayhost\tstr\t$relayhost\n" +
  "address_verify_sender\tstr\t$double_bounce_sender\n" +
  "address_verify_sender_dependent_default_transport_maps\tstr\t$sender_dependent_default_transport_maps\n" +
  "address_verify_sender_dependent_relayhost_maps\tstr\t$sender_dependent_relayhost_maps\n" +
  "address_verify_sender_ttl\ttime:s\t0s\n" +
  "address_verify_service_name\tstr\tverify\n" +
  "address_verify_transport_maps\tstr\t$transport_maps\n" +
  "address_verify_virtual_transport\tstr\t$virtual_transport\n" +
  "alias_database\tstr\thash:/etc/aliases\n" +
  "alias_maps\tstr\thash:/etc/aliases, nis:mail.aliases\n" +
  "allow_mail_to_commands\tstr\talias, forward\n" +
  "allow_mail_to_files\tstr\talias, forward\n" +
  "allow_min_user\tbool\tno\n" +
  "allow_percent_hack\tbool\tyes\n" +
  "allow_untrusted_routing\tbool\tno\n" +
  "alternate_config_directories\tstr\t\n" +
  "always_add_missing_headers\tbool\tno\n" +
  "always_bcc\tstr\t\n" +
  "anvil_rate_time_unit\ttime:s\t60s\n" +
  "anvil_status_update_time\ttime:s\t600s\n" +
  "append_at_myorigin\tbool\tyes\n" +
  "append_dot_mydomain\tnbool\t${{$compatibility_level} <level {1} ? {yes} : {no}}\n" +
  "application_event_drain_time\ttime:s\t100s\n" +
  "authorized_flush_users\tstr\tstatic:anyone\n" +
  "authorized_mailq_users\tstr\tstatic:anyone\n" +
  "authorized_submit_users\tstr\tstatic:anyone\n" +
  "backwards_bounce_logfile_compatibility\tbool\tyes\n" +
  "berkeley_db_create_buffer_size\tint\t16777216\n" +
  "berkeley_db_read_buffer_size\tint\t131072\n" +
  "best_mx_transport\tstr\t\n" +
  "biff\tbool\tyes\n" +
  "body_checks\tstr\t\n" +
  "body_checks_size_limit\tint\t51200\n" +
  "bounce_notice_recipient\tstr\tpostmaster\n" +
  "bounce_queue_lifetime\ttime:d\t5d\n" +
  "bounce_service_name\tstr\tbounce\n" +
  "bounce_size_limit\tint\t50000\n" +
  "bounce_template_file\tstr\t\n" +
  "broken_sasl_auth_clients\tbool\tno\n" +
  "canonical_classes\tstr\tenvelope_sender, envelope_recipient, header_sender, header_recipient\n" +
  "canonical_maps\tstr\t\n" +
  "cleanup_replace_stray_cr_lf\tbool\tyes\n" +
  "cleanup_service_name\tstr\tcleanup\n" +
  "command_directory\tstr\t/usr/sbin\n" +
  "command_execution_directory\traw\t\n" +
  "command_expansion_filter\tstr\t1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n" +
  "command_time_limit\ttime:s\t1000s\n" +
  "compatibility_level\tstr\t0\n" +
  "config_directory\tstr\t/etc/postfix\n" +
  "confirm_delay_cleared\tbool\tno\n" +
  "connection_cache_protocol_timeout\ttime:s\t5s\n" +
  "connection_cache_service_name\tstr\tscache\n" +
  "connection_cache_status_update_time\ttime:s\t600s\n" +
  "connection_cache_ttl_limit\ttime:s\t2s\n" +
  "content_filter\tstr\t\n" +
  "cyrus_sasl_config_path\tstr\t\n" +
  "daemon_directory\tstr\t/usr/lib/postfix/sbin\n" +
  "daemon_table_open_error_is_fatal\tbool\tno\n" +
  "daemon_timeout\ttime:s\t18000s\n" +
  "data_directory\tstr\t/var/lib/postfix\n" +
  "debug_peer_level\tint\t2\n" +
  "debug_peer_list\tstr\t\n" +
  "debugger_command\tstr\t\n" +
  "default_database_type\tstr\thash\n" +
  "default_delivery_slot_cost\tint\t5\n" +
  "default_delivery_slot_discount\tint\t50\n" +
  "default_delivery_slot_loan\tint\t3\n" +
  "default_delivery_status_filter\tstr\t\n" +
  "default_destination_concurrency_failed_cohort_limit\tint\t1\n" +
  "default_destination_concurrency_limit\tint\t20\n" +
  "default_destination_concurrency_negative_feedback\tstr\t1\n" +
  "default_destination_concurrency_positive_feedback\tstr\t1\n" +
  "default_destination_rate_delay\ttime:s\t0s\n" +
  "default_destination_recipient_limit\tint\t50\n" +
  "default_extra_recipient_limit\tint\t1000\n" +
  "default_filter_nexthop\tstr\t\n" +
  "default_minimum_delivery_slots\tint\t3\n" +
  "default_privs\tstr\tnobody\n" +
  "default_process_limit\tint\t100\n" +
  "default_rbl_reply\traw\t$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}\n" +
  "default_recipient_limit\tint\t20000\n" +
  "default_recipient_refill_delay\ttime:s\t5s\n" +
  "default_recipient_refill_limit\tint\t100\n" +
  "default_transport\tstr\tsmtp\n" +
  "default_transport_rate_delay\ttime:s\t0s\n" +
  "default_verp_delimiters\tstr\t+=\n" +
  "defer_code\tint\t450\n" +
  "defer_service_name\tstr\tdefer\n" +
  "defer_transports\tstr\t\n" +
  "delay_logging_resolution_limit\tint\t2\n" +
  "delay_notice_recipient\tstr\tpostmaster\n" +
  "delay_warning_time\ttime:h\t0h\n" +
  "deliver_lock_attempts\tint\t20\n" +
  "deliver_lock_delay\ttime:s\t1s\n" +
  "destination_concurrency_feedback_debug\tbool\tno\n" +
  "detect_8bit_encoding_header\tbool\tyes\n" +
  "disable_dns_lookups\tbool\tno\n" +
  "disable_mime_input_processing\tbool\tno\n" +
  "disable_mime_output_conversion\tbool\tno\n" +
  "disable_verp_bounces\tbool\tno\n" +
  "disable_vrfy_command\tbool\tno\n" +
  "dns_ncache_ttl_fix_enable\tbool\tno\n" +
  "dnsblog_reply_delay\ttime:s\t0s\n" +
  "dnsblog_service_name\tstr\tdnsblog\n" +
  "dnssec_probe\tstr\tns:.\n" +
  "dont_remove\tint\t0\n" +
  "double_bounce_sender\tstr\tdouble-bounce\n" +
  "duplicate_filter_limit\tint\t1000\n" +
  "empty_address_default_transport_maps_lookup_key\tstr\t<>\n" +
  "empty_address_local_login_sender_maps_lookup_key\tstr\t<>\n" +
  "empty_address_recipient\tstr\tMAILER-DAEMON\n" +
  "empty_address_relayhost_maps_lookup_key\tstr\t<>\n" +
  "enable_idna2003_compatibility\tnbool\tno\n" +
  "enable_long_queue_ids\tbool\tno\n" +
  "enable_original_recipient\tbool\tyes\n" +
  "enable_threaded_bounces\tnbool\tno\n" +
  "error_notice_recipient\tstr\tpostmaster\n" +
  "error_service_name\tstr\terror\n" +
  "execution_directory_expansion_filter\tstr\t1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n" +
  "expand_owner_alias\tbool\tno\n" +
  "export_environment\tstr\tTZ MAIL_CONFIG LANG\n" +
  "fallback_transport\tstr\t\n" +
  "fallback_transport_maps\tstr\t\n" +
  "fast_flush_domains\tstr\t$relay_domains\n" +
  "fast_flush_purge_time\ttime:d\t7d\n" +
  "fast_flush_refresh_time\ttime:h\t12h\n" +
  "fault_injection_code\tint\t0\n" +
  "flush_service_name\tstr\tflush\n" +
  "fork_attempts\tint\t5\n" +
  "fork_delay\ttime:s\t1s\n" +
  "forward_expansion_filter\tstr\t1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n" +
  "forward_path\traw\t$home/.forward${recipient_delimiter}${extension}, $home/.forward\n" +
  "frozen_delivered_to\tbool\tyes\n" +
  "hash_queue_depth\tint\t1\n" +
  "hash_queue_names\tstr\tdeferred, defer\n" +
  "header_address_token_limit\tint\t10240\n" +
  "header_checks\tstr\t\n" +
  "header_from_format\tstr\tstandard\n" +
  "header_size_limit\tint\t102400\n" +
  "helpful_warnings\tbool\tyes\n" +
  "home_mailbox\tstr\t\n" +
  "hopcount_limit\tint\t50\n" +
  "html_directory\tstr\t/usr/share/doc/postfix/html\n" +
  "ignore_mx_lookup_error\tbool\tno\n" +
  "import_environment\tstr\tMAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME\n" +
  "in_flow_delay\ttime:s\t1s\n" +
  "inet_interfaces\tstr\tall\n" +
  "inet_protocols\tstr\tall\n" +
  "info_log_address_format\tstr\texternal\n" +
  "initial_destination_concurrency\tint\t5\n" +
  "internal_mail_filter_classes\tstr\t\n" +
  "invalid_hostname_reject_code\tint\t501\n" +
  "ipc_idle\ttime:s\t5s\n" +
  "ipc_timeout\ttime:s\t3600s\n" +
  "ipc_ttl\ttime:s\t1000s\n" +
  "known_tcp_ports\tstr\tlmtp=24, smtp=25, smtps=submissions=465, submission=587\n" +
  "line_length_limit\tint\t2048\n" +
  "lmdb_map_size\tlong\t16777216\n" +
  "lmtp_address_preference\tstr\tany\n" +
  "lmtp_address_verify_target\tstr\trcpt\n" +
  "lmtp_assume_final\tbool\tno\n" +
  "lmtp_balance_inet_protocols\tbool\tyes\n" +
  "lmtp_bind_address\tstr\t\n" +
  "lmtp_bind_address6\tstr\t\n" +
  "lmtp_bind_address_enforce\tbool\tno\n" +
  "lmtp_body_checks\tstr\t\n" +
  "lmtp_cname_overrides_servername\tbool\tno\n" +
  "lmtp_connect_timeout\ttime:s\t0s\n" +
  "lmtp_connection_cache_destinations\tstr\t\n" +
  "lmtp_connection_cache_on_demand\tbool\tyes\n" +
  "lmtp_connection_cache_time_limit\ttime:s\t2s\n" +
  "lmtp_connection_reuse_count_limit\tint\t0\n" +
  "lmtp_connection_reuse_time_limit\ttime:s\t300s\n" +
  "lmtp_data_done_timeout\ttime:s\t600s\n" +
  "lmtp_data_init_timeout\ttime:s\t120s\n" +
  "lmtp_data_xfer_timeout\ttime:s\t180s\n" +
  "lmtp_defer_if_no_mx_address_found\tbool\tno\n" +
  "lmtp_delivery_status_filter\tstr\t$default_delivery_status_filter\n" +
  "lmtp_discard_lhlo_keyword_address_maps\tstr\t\n" +
  "lmtp_discard_lhlo_keywords\tstr\t\n" +
  "lmtp_dns_reply_filter\tstr\t\n" +
  "lmtp_dns_resolver_options\tstr\t\n" +
  "lmtp_dns_support_level\tstr\t\n" +
  "lmtp_enforce_tls\tbool\tno\n" +
  "lmtp_fallback_relay\tstr\t\n" +
  "lmtp_generic_maps\tstr\t\n" +
  "lmtp_header_checks\tstr\t\n" +
  "lmtp_host_lookup\tstr\tdns\n" +
  "lmtp_lhlo_name\tstr\t$myhostname\n" +
  "lmtp_lhlo_timeout\ttime:s\t300s\n" +
  "lmtp_line_length_limit\tint\t998\n" +
  "lmtp_mail_timeout\ttime:s\t300s\n" +
  "lmtp_mime_header_checks\tstr\t\n" +
  "lmtp_min_data_rate\tint\t500\n" +
  "lmtp_mx_address_limit\tint\t5\n" +
  "lmtp_mx_session_limit\tint\t2\n" +
  "lmtp_nested_header_checks\tstr\t\n" +
  "lmtp_per_request_deadline\tnbool\t${lmtp_per_record_deadline?{$lmtp_per_record_deadline}:{no}}\n" +
  "lmtp_pix_workaround_delay_time\ttime:s\t10s\n" +
  "lmtp_pix_workaround_maps\tstr\t\n" +
  "lmtp_pix_workaround_threshold_time\ttime:s\t500s\n" +
  "lmtp_pix_workarounds\tstr\tdisable_esmtp,delay_dotcrlf\n" +
  "lmtp_quit_timeout\ttime:s\t300s\n" +
  "lmtp_quote_rfc821_envelope\tbool\tyes\n" +
  "lmtp_randomize_addresses\tbool\tyes\n" +
  "lmtp_rcpt_timeout\ttime:s\t300s\n" +
  "lmtp_reply_filter\tstr\t\n" +
  "lmtp_rset_timeout\ttime:s\t20s\n" +
  "lmtp_sasl_auth_cache_name\tstr\t\n" +
  "lmtp_sasl_auth_cache_time\ttime:d\t90d\n" +
  "lmtp_sasl_auth_enable\tbool\tno\n" +
  "lmtp_sasl_auth_soft_bounce\tbool\tyes\n" +
  "lmtp_sasl_mechanism_filter\tstr\t\n" +
  "lmtp_sasl_password_maps\tstr\t\n" +
  "lmtp_sasl_path\tstr\t\n" +
  "lmtp_sasl_security_options\tstr\tnoplaintext, noanonymous\n" +
  "lmtp_sasl_tls_security_options\tstr\t$lmtp_sasl_security_options\n" +
  "lmtp_sasl_tls_verified_security_options\tstr\t$lmtp_sasl_tls_security_options\n" +
  "lmtp_sasl_type\tstr\tcyrus\n" +
  "lmtp_send_dummy_mail_auth\tbool\tno\n" +
  "lmtp_send_xforward_command\tbool\tno\n" +
  "lmtp_sender_dependent_authentication\tbool\tno\n" +
  "lmtp_skip_5xx_greeting\tbool\tyes\n" +
  "lmtp_skip_quit_response\tbool\tno\n" +
  "lmtp_starttls_timeout\ttime:s\t300s\n" +
  "lmtp_tcp_port\tstr\t24\n" +
  "lmtp_tls_CAfile\tstr\t\n" +
  "lmtp_tls_CApath\tstr\t\n" +
  "lmtp_tls_block_early_mail_reply\tbool\tno\n" +
  "lmtp_tls_cert_file\tstr\t\n" +
  "lmtp_tls_chain_files\tstr\t\n" +
  "lmtp_tls_ciphers\tstr\tmedium\n" +
  "lmtp_tls_connection_reuse\tbool\tno\n" +
  "lmtp_tls_dcert_file\tstr\t\n" +
  "lmtp_tls_dkey_file\tstr\t$lmtp_tls_dcert_file\n" +
  "lmtp_tls_eccert_file\tstr\t\n" +
  "lmtp_tls_eckey_file\tstr\t$lmtp_tls_eccert_file\n" +
  "lmtp_tls_enforce_peername\tbool\tyes\n" +
  "lmtp_tls_exclude_ciphers\tstr\t\n" +
  "lmtp_tls_fingerprint_cert_match\tstr\t\n" +
  "lmtp_tls_fingerprint_digest\tstr\t${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}\n" +
  "lmtp_tls_force_insecure_host_tlsa_lookup\tbool\tno\n" +
  "lmtp_tls_key_file\tstr\t$lmtp_tls_cert_file\n" +
  "lmtp_tls_loglevel\tstr\t0\n" +
  "lmtp_tls_mandatory_ciphers\tstr\tmedium\n" +
  "lmtp_tls_mandatory_exclude_ciphers\tstr\t\n" +
  "lmtp_tls_mandatory_protocols\tstr\t>=TLSv1\n" +
  "lmtp_tls_note_starttls_offer\tbool\tno\n" +
  "lmtp_tls_per_site\tstr\t\n" +
  "lmtp_tls_policy_maps\tstr\t\n" +
  "lmtp_tls_protocols\tstr\t>=TLSv1\n" +
  "lmtp_tls_scert_verifydepth\tint\t9\n" +
  "lmtp_tls_secure_cert_match\tstr\tnexthop\n" +
  "lmtp_tls_security_level\tstr\t\n" +
  "lmtp_tls_servername\tstr\t\n" +
  "lmtp_tls_session_cache_database\tstr\t\n" +
  "lmtp_tls_session_cache_timeout\ttime:s\t3600s\n" +
  "lmtp_tls_trust_anchor_file\tstr\t\n" +
  "lmtp_tls_verify_cert_match\tstr\thostname\n" +
  "lmtp_tls_wrappermode\tbool\tno\n" +
  "lmtp_use_tls\tbool\tno\n" +
  "lmtp_xforward_timeout\ttime:s\t300s\n" +
  "local_command_shell\tstr\t\n" +
  "local_delivery_status_filter\tstr\t$default_delivery_status_filter\n" +
  "local_destination_concurrency_limit\tint\t2\n" +
  "local_destination_recipient_limit\tint\t1\n" +
  "local_header_rewrite_clients\tstr\tpermit_inet_interfaces\n" +
  "local_login_sender_maps\tstr\tstatic:*\n" +
  "local_recipient_maps\tstr\tproxy:unix:passwd.byname $alias_maps\n" +
  "local_transport\tstr\tlocal:$myhostname\n" +
  "luser_relay\traw\t\n" +
  "mail_name\tstr\tPostfix\n" +
  "mail_owner\tstr\tpostfix\n" +
  "mail_release_date\tstr\t\n" +
  "mail_spool_directory\tstr\t/var/mail\n" +
  "mail_version\tstr\t\n" +
  "mailbox_command\traw\t\n" +
  "mailbox_command_maps\tstr\t\n" +
  "mailbox_delivery_lock\tstr\tfcntl, dotlock\n" +
  "mailbox_size_limit\tlong\t51200000\n" +
  "mailbox_transport\tstr\t\n" +
  "mailbox_transport_maps\tstr\t\n" +
  "maillog_file\tstr\t\n" +
  "maillog_file_compressor\tstr\tgzip\n" +
  "maillog_file_prefixes\tstr\t/var, /dev/stdout\n" +
  "maillog_file_rotate_suffix\tstr\t%Y%m%d-%H%M%S\n" +
  "mailq_path\tstr\t/usr/bin/mailq\n" +
  "manpage_directory\tstr\t/usr/share/man\n" +
  "maps_rbl_domains\tstr\t\n" +
  "maps_rbl_reject_code\tint\t554\n" +
  "masquerade_classes\tstr\tenvelope_sender, header_sender, header_recipient\n" +
  "masquerade_domains\tstr\t\n" +
  "masquerade_exceptions\tstr\t\n" +
  "master_service_disable\tstr\t\n" +
  "max_idle\ttime:s\t100s\n" +
  "max_use\tint\t100\n" +
  "maximal_backoff_time\ttime:s\t4000s\n" +
  "maximal_queue_lifetime\ttime:d\t5d\n" +
  "message_drop_headers\tstr\tbcc, content-length, resent-bcc, return-path\n" +
  "message_reject_characters\tstr\t\n" +
  "message_size_limit\tlong\t10240000\n" +
  "message_strip_characters\tstr\t\n" +
  "meta_directory\tstr\t/etc/postfix\n" +
  "milter_command_timeout\ttime:s\t30s\n" +
  "milter_connect_macros\tstr\tj {daemon_name} {daemon_addr} v _\n" +
  "milter_connect_timeout\ttime:s\t30s\n" +
  "milter_content_timeout\ttime:s\t300s\n" +
  "milter_data_macros\tstr\ti\n" +
  "milter_default_action\tstr\ttempfail\n" +
  "milter_end_of_data_macros\tstr\ti\n" +
  "milter_end_of_header_macros\tstr\ti\n" +
  "milter_header_checks\tstr\t\n" +
  "milter_helo_macros\tstr\t{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}\n" +
  "milter_macro_daemon_name\tstr\t$myhostname\n" +
  "milter_macro_defaults\tstr\t\n" +
  "milter_macro_v\tstr\t$mail_name $mail_version\n" +
  "milter_mail_macros\tstr\ti {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}\n" +
  "milter_protocol\tstr\t6\n" +
  "milter_rcpt_macros\tstr\ti {rcpt_addr} {rcpt_host} {rcpt_mailer}\n" +
  "milter_unknown_command_macros\tstr\t\n" +
  "mime_boundary_length_limit\tint\t2048\n" +
  "mime_header_checks\tstr\t$header_checks\n" +
  "mime_nesting_limit\tint\t100\n" +
  "minimal_backoff_time\ttime:s\t300s\n" +
  "multi_instance_directories\tstr\t\n" +
  "multi_instance_enable\tbool\tno\n" +
  "multi_instance_group\tstr\t\n" +
  "multi_instance_name\tstr\t\n" +
  "multi_instance_wrapper\tstr\t\n" +
  "multi_recipient_bounce_reject_code\tint\t550\n" +
  "mydestination\tstr\t$myhostname, localhost.$mydomain, localhost\n" +
  "mydomain\tstr\t\n" +
  "myhostname\tstr\t\n" +
  "mynetworks\tstr\t\n" +
  "mynetworks_style\tstr\t${{$compatibility_level} <level {2} ? {subnet} : {host}}\n" +
  "myorigin\tstr\t$myhostname\n" +
  "nested_header_checks\tstr\t$header_checks\n" +
  "newaliases_path\tstr\t/usr/bin/newaliases\n" +
  "non_fqdn_reject_code\tint\t504\n" +
  "non_smtpd_milters\tstr\t\n" +
  "notify_classes\tstr\tresource, software\n" +
  "openssl_path\tstr\topenssl\n" +
  "owner_request_special\tbool\tyes\n" +
  "parent_domain_matches_subdomains\tstr\tdebug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps\n" +
  "permit_mx_backup_networks\tstr\t\n" +
  "pickup_service_name\tstr\tpickup\n" +
  "pipe_delivery_status_filter\tstr\t$default_delivery_status_filter\n" +
  "plaintext_reject_code\tint\t450\n" +
  "postlog_service_name\tstr\tpostlog\n" +
  "postlogd_watchdog_timeout\ttime:s\t10s\n" +
  "postmulti_control_commands\tstr\treload flush\n" +
  "postmulti_start_commands\tstr\tstart\n" +
  "postmulti_stop_commands\tstr\tstop abort drain quick-stop\n" +
  "postscreen_access_list\tstr\tpermit_mynetworks\n" +
  "postscreen_allowlist_interfaces\tstr\t${postscreen_whitelist_interfaces?{$postscreen_whitelist_interfaces}:{static:all}}\n" +
  "postscreen_bare_newline_action\tstr\tignore\n" +
  "postscreen_bare_newline_enable\tbool\tno\n" +
  "postscreen_bare_newline_ttl\ttime:d\t30d\n" +
  "postscreen_cache_cleanup_interval\ttime:h\t12h\n" +
  "postscreen_cache_map\tstr\tbtree:$data_directory/postscreen_cache\n" +
  "postscreen_cache_retention_time\ttime:d\t7d\n" +
  "postscreen_client_connection_count_limit\tnint\t$smtpd_client_connection_count_limit\n" +
  "postscreen_command_count_limit\tint\t20\n" +
  "postscreen_command_filter\tstr\t\n" +
  "postscreen_command_time_limit\ttime:s\t${stress?{10}:{300}}s\n" +
  "postscreen_denylist_action\tstr\t${postscreen_blacklist_action?{$postscreen_blacklist_action}:{ignore}}\n" +
  "postscreen_disable_vrfy_command\tnbool\t$disable_vrfy_command\n" +
  "postscreen_discard_ehlo_keyword_address_maps\tstr\t$smtpd_discard_ehlo_keyword_address_maps\n" +
  "postscreen_discard_ehlo_keywords\tstr\t$smtpd_discard_ehlo_keywords\n" +
  "postscreen_dnsbl_action\tstr\tignore\n" +
  "postscreen_dnsbl_allowlist_threshold\tnint\t${postscreen_dnsbl_whitelist_threshold?{$postscreen_dnsbl_whitelist_threshold}:{0}}\n" +
  "postscreen_dnsbl_max_ttl\ttime:h\t${postscreen_dnsbl_ttl?{$postscreen_dnsbl_ttl}:{1}}h\n" +
  "postscreen_dnsbl_min_ttl\ttime:s\t60s\n" +
  "postscreen_dnsbl_reply_map\tstr\t\n" +
  "postscreen_dnsbl_sites\tstr\t\n" +
  "postscreen_dnsbl_threshold\tint\t1\n" +
  "postscreen_dnsbl_timeout\ttime:s\t10s\n" +
  "postscreen_enforce_tls\tnbool\t$smtpd_enforce_tls\n" +
  "postscreen_expansion_filter\traw\t$smtpd_expansion_filter\n" +
  "postscreen_forbidden_commands\tstr\t$smtpd_forbidden_commands\n" +
  "postscreen_greet_action\tstr\tignore\n" +
  "postscreen_greet_banner\tstr\t$smtpd_banner\n" +
  "postscreen_greet_ttl\ttime:d\t1d\n" +
  "postscreen_greet_wait\ttime:s\t${stress?{2}:{6}}s\n" +
  "postscreen_helo_required\tnbool\t$smtpd_helo_required\n" +
  "postscreen_non_smtp_command_action\tstr\tdrop\n" +
  "postscreen_non_smtp_command_enable\tbool\tno\n" +
  "postscreen_non_smtp_command_ttl\ttime:d\t30d\n" +
  "postscreen_pipelining_action\tstr\tenforce\n" +
  "postscreen_pipelining_enable\tbool\tno\n" +
  "postscreen_pipelining_ttl\ttime:d\t30d\n" +
  "postscreen_post_queue_limit\tnint\t$default_process_limit\n" +
  "postscreen_pre_queue_limit\tnint\t$default_process_limit\n" +
  "postscreen_reject_footer\traw\t$smtpd_reject_footer\n" +
  "postscreen_reject_footer_maps\tstr\t$smtpd_reject_footer_maps\n" +
  "postscreen_tls_security_level\tstr\t$smtpd_tls_security_level\n" +
  "postscreen_upstream_proxy_protocol\tstr\t\n" +
  "postscreen_upstream_proxy_timeout\ttime:s\t5s\n" +
  "postscreen_use_tls\tnbool\t$smtpd_use_tls\n" +
  "postscreen_watchdog_timeout\ttime:s\t10s\n" +
  "prepend_delivered_header\tstr\tcommand, file, forward\n" +
  "process_id\tint\t\n" +
  "process_id_directory\tstr\tpid\n" +
  "process_name\tstr\t\n" +
  "propagate_unmatched_extensions\tstr\tcanonical, virtual\n" +
  "proxy_interfaces\tstr\t\n" +
  "proxy_read_maps\tstr\t$local_recipient_maps $mydestination $virtual_alias_maps $virtual_alias_domains $virtual_mailbox_maps $virtual_mailbox_domains $relay_recipient_maps $relay_domains $canonical_maps $sender_canonical_maps $recipient_canonical_maps $relocated_maps $transport_maps $mynetworks $smtpd_sender_login_maps $sender_bcc_maps $recipient_bcc_maps $smtp_generic_maps $lmtp_generic_maps $alias_maps $smtpd_client_restrictions $smtpd_helo_restrictions $smtpd_sender_restrictions $smtpd_relay_restrictions $smtpd_recipient_restrictions $address_verify_sender_dependent_default_transport_maps $address_verify_sender_dependent_relayhost_maps $address_verify_transport_maps $fallback_transport_maps $lmtp_discard_lhlo_keyword_address_maps $lmtp_pix_workaround_maps $lmtp_sasl_password_maps $lmtp_tls_policy_maps $mailbox_command_maps $mailbox_transport_maps $postscreen_discard_ehlo_keyword_address_maps $rbl_reply_maps $sender_dependent_default_transport_maps $sender_dependent_relayhost_maps $smtp_discard_ehlo_keyword_address_maps $smtp_pix_workaround_maps $smtp_sasl_password_maps $smtp_tls_policy_maps $smtpd_discard_ehlo_keyword_address_maps $smtpd_milter_maps $virtual_gid_maps $virtual_uid_maps $local_login_sender_maps $postscreen_reject_footer_maps $smtpd_reject_footer_maps $tls_server_sni_maps $tlsproxy_client_policy_maps $default_delivery_status_filter $lmtp_delivery_status_filter $lmtp_dns_reply_filter $lmtp_reply_filter $local_delivery_status_filter $pipe_delivery_status_filter $postscreen_command_filter $smtp_delivery_status_filter $smtp_dns_reply_filter $smtp_reply_filter $smtpd_command_filter $smtpd_dns_reply_filter $virtual_delivery_status_filter $body_checks $header_checks $lmtp_body_checks $lmtp_header_checks $lmtp_mime_header_checks $lmtp_nested_header_checks $milter_header_checks $mime_header_checks $nested_header_checks $smtp_body_checks $smtp_header_checks $smtp_mime_header_checks $smtp_nested_header_checks\n" +
  "proxy_write_maps\tstr\t$smtp_sasl_auth_cache_name $lmtp_sasl_auth_cache_name $address_verify_map $postscreen_cache_map\n" +
  "proxymap_service_name\tstr\tproxymap\n" +
  "proxywrite_service_name\tstr\tproxywrite\n" +
  "qmgr_clog_warn_time\ttime:s\t300s\n" +
  "qmgr_daemon_timeout\ttime:s\t1000s\n" +
  "qmgr_fudge_factor\tint\t100\n" +
  "qmgr_ipc_timeout\ttime:s\t60s\n" +
  "qmgr_message_active_limit\tint\t20000\n" +
  "qmgr_message_recipient_limit\tint\t20000\n" +
  "qmgr_message_recipient_minimum\tint\t10\n" +
  "qmqpd_authorized_clients\tstr\t\n" +
  "qmqpd_client_port_logging\tbool\tno\n" +
  "qmqpd_error_delay\ttime:s\t1s\n" +
  "qmqpd_timeout\ttime:s\t300s\n" +
  "queue_directory\tstr\t/var/spool/postfix\n" +
  "queue_file_attribute_count_limit\tint\t100\n" +
  "queue_minfree\tlong\t0\n" +
  "queue_run_delay\ttime:s\t300s\n" +
  "queue_service_name\tstr\tqmgr\n" +
  "rbl_reply_maps\tstr\t\n" +
  "readme_directory\tstr\t/usr/share/doc/postfix\n" +
  "receive_override_options\tstr\t\n" +
  "recipient_bcc_maps\tstr\t\n" +
  "recipient_canonical_classes\tstr\tenvelope_recipient, header_recipient\n" +
  "recipient_canonical_maps\tstr\t\n" +
  "recipient_delimiter\tstr\t\n" +
  "reject_code\tint\t554\n" +
  "reject_tempfail_action\tstr\tdefer_if_permit\n" +
  "relay_clientcerts\tstr\t\n" +
  "relay_domains\tstr\t${{$compatibility_level} <level {2} ? {$mydestination} : {}}\n" +
  "relay_domains_reject_code\tint\t554\n" +
  "relay_recipient_maps\tstr\t\n" +
  "relay_transport\tstr\trelay\n" +
  "relayhost\tstr\t\n" +
  "relocated_maps\tstr\t\n" +
  "remote_header_rewrite_domain\tstr\t\n" +
  "require_home_directory\tbool\tno\n" +
  "reset_owner_alias\tbool\tno\n" +
  "resolve_dequoted_address\tbool\tyes\n" +
  "resolve_null_domain\tbool\tno\n" +
  "resolve_numeric_domain\tbool\tno\n" +
  "respectful_logging\tnbool\t${{$compatibility_level} <level {3.6} ? {no} : {yes}}\n" +
  "rewrite_service_name\tstr\trewrite\n" +
  "sample_directory\tstr\t/etc/postfix\n" +
  "send_cyrus_sasl_authzid\tbool\tno\n" +
  "sender_bcc_maps\tstr\t\n" +
  "sender_canonical_classes\tstr\tenvelope_sender, header_sender\n" +
  "sender_canonical_maps\tstr\t\n" +
  "sender_dependent_default_transport_maps\tstr\t\n" +
  "sender_dependent_relayhost_maps\tstr\t\n" +
  "sendmail_fix_line_endings\tstr\talways\n" +
  "sendmail_path\tstr\t/usr/sbin/sendmail\n" +
  "service_name\tstr\t\n" +
  "service_throttle_time\ttime:s\t60s\n" +
  "setgid_group\tstr\tpostdrop\n" +
  "shlib_directory\tstr\t/usr/lib/postfix\n" +
  "show_user_unknown_table_name\tbool\tyes\n" +
  "showq_service_name\tstr\tshowq\n" +
  "smtp_address_preference\tstr\tany\n" +
  "smtp_address_verify_target\tstr\trcpt\n" +
  "smtp_always_send_ehlo\tbool\tyes\n" +
  "smtp_balance_inet_protocols\tbool\tyes\n" +
  "smtp_bind_address\tstr\t\n" +
  "smtp_bind_address6\tstr\t\n" +
  "smtp_bind_address_enforce\tbool\tno\n" +
  "smtp_body_checks\tstr\t\n" +
  "smtp_cname_overrides_servername\tbool\tno\n" +
  "smtp_connect_timeout\ttime:s\t30s\n" +
  "smtp_connection_cache_destinations\tstr\t\n" +
  "smtp_connection_cache_on_demand\tbool\tyes\n" +
  "smtp_connection_cache_time_limit\ttime:s\t2s\n" +
  "smtp_connection_reuse_count_limit\tint\t0\n" +
  "smtp_connection_reuse_time_limit\ttime:s\t300s\n" +
  "smtp_data_done_timeout\ttime:s\t600s\n" +
  "smtp_data_init_timeout\ttime:s\t120s\n" +
  "smtp_data_xfer_timeout\ttime:s\t180s\n" +
  "smtp_defer_if_no_mx_address_found\tbool\tno\n" +
  "smtp_delivery_status_filter\tstr\t$default_delivery_status_filter\n" +
  "smtp_discard_ehlo_keyword_address_maps\tstr\t\n" +
  "smtp_discard_ehlo_keywords\tstr\t\n" +
  "smtp_dns_reply_filter\tstr\t\n" +
  "smtp_dns_resolver_options\tstr\t\n" +
  "smtp_dns_support_level\tstr\t\n" +
  "smtp_enforce_tls\tbool\tno\n" +
  "smtp_fallback_relay\tstr\t$fallback_relay\n" +
  "smtp_generic_maps\tstr\t\n" +
  "smtp_header_checks\tstr\t\n" +
  "smtp_helo_name\tstr\t$myhostname\n" +
  "smtp_helo_timeout\ttime:s\t300s\n" +
  "smtp_host_lookup\tstr\tdns\n" +
  "smtp_line_length_limit\tint\t998\n" +
  "smtp_mail_timeout\ttime:s\t300s\n" +
  "smtp_mime_header_checks\tstr\t\n" +
  "smtp_min_data_rate\tint\t500\n" +
  "smtp_mx_address_limit\tint\t5\n" +
  "smtp_mx_session_limit\tint\t2\n" +
  "smtp_nested_header_checks\tstr\t\n" +
  "smtp_never_send_ehlo\tbool\tno\n" +
  "smtp_per_request_deadline\tnbool\t${smtp_per_record_deadline?{$smtp_per_record_deadline}:{no}}\n" +
  "smtp_pix_workaround_delay_time\ttime:s\t10s\n" +
  "smtp_pix_workaround_maps\tstr\t\n" +
  "smtp_pix_workaround_threshold_time\ttime:s\t500s\n" +
  "smtp_pix_workarounds\tstr\tdisable_esmtp,delay_dotcrlf\n" +
  "smtp_quit_timeout\ttime:s\t300s\n" +
  "smtp_quote_rfc821_envelope\tbool\tyes\n" +
  "smtp_randomize_addresses\tbool\tyes\n" +
  "smtp_rcpt_timeout\ttime:s\t300s\n" +
  "smtp_reply_filter\tstr\t\n" +
  "smtp_rset_timeout\ttime:s\t20s\n" +
  "smtp_sasl_auth_cache_name\tstr\t\n" +
  "smtp_sasl_auth_cache_time\ttime:d\t90d\n" +
  "smtp_sasl_auth_enable\tbool\tno\n" +
  "smtp_sasl_auth_soft_bounce\tbool\tyes\n" +
  "smtp_sasl_mechanism_filter\tstr\t\n" +
  "smtp_sasl_password_maps\tstr\t\n" +
  "smtp_sasl_path\tstr\t\n" +
  "smtp_sasl_security_options\tstr\tnoplaintext, noanonymous\n" +
  "smtp_sasl_tls_security_options\tstr\t$smtp_sasl_security_options\n" +
  "smtp_sasl_tls_verified_security_options\tstr\t$smtp_sasl_tls_security_options\n" +
  "smtp_sasl_type\tstr\tcyrus\n" +
  "smtp_send_dummy_mail_auth\tbool\tno\n" +
  "smtp_send_xforward_command\tbool\tno\n" +
  "smtp_sender_dependent_authentication\tbool\tno\n" +
  "smtp_skip_5xx_greeting\tbool\tyes\n" +
  "smtp_skip_quit_response\tbool\tyes\n" +
  "smtp_starttls_timeout\ttime:s\t300s\n" +
  "smtp_tcp_port\tstr\tsmtp\n" +
  "smtp_tls_CAfile\tstr\t\n" +
  "smtp_tls_CApath\tstr\t\n" +
  "smtp_tls_block_early_mail_reply\tbool\tno\n" +
  "smtp_tls_cert_file\tstr\t\n" +
  "smtp_tls_chain_files\tstr\t\n" +
  "smtp_tls_ciphers\tstr\tmedium\n" +
  "smtp_tls_connection_reuse\tbool\tno\n" +
  "smtp_tls_dane_insecure_mx_policy\tstr\t${{$smtp_tls_security_level} == {dane} ? {dane} : {may}}\n" +
  "smtp_tls_dcert_file\tstr\t\n" +
  "smtp_tls_dkey_file\tstr\t$smtp_tls_dcert_file\n" +
  "smtp_tls_eccert_file\tstr\t\n" +
  "smtp_tls_eckey_file\tstr\t$smtp_tls_eccert_file\n" +
  "smtp_tls_enforce_peername\tbool\tyes\n" +
  "smtp_tls_exclude_ciphers\tstr\t\n" +
  "smtp_tls_fingerprint_cert_match\tstr\t\n" +
  "smtp_tls_fingerprint_digest\tstr\t${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}\n" +
  "smtp_tls_force_insecure_host_tlsa_lookup\tbool\tno\n" +
  "smtp_tls_key_file\tstr\t$smtp_tls_cert_file\n" +
  "smtp_tls_loglevel\tstr\t0\n" +
  "smtp_tls_mandatory_ciphers\tstr\tmedium\n" +
  "smtp_tls_mandatory_exclude_ciphers\tstr\t\n" +
  "smtp_tls_mandatory_protocols\tstr\t>=TLSv1\n" +
  "smtp_tls_note_starttls_offer\tbool\tno\n" +
  "smtp_tls_per_site\tstr\t\n" +
  "smtp_tls_policy_maps\tstr\t\n" +
  "smtp_tls_protocols\tstr\t>=TLSv1\n" +
  "smtp_tls_scert_verifydepth\tint\t9\n" +
  "smtp_tls_secure_cert_match\tstr\tnexthop, dot-nexthop\n" +
  "smtp_tls_security_level\tstr\t\n" +
  "smtp_tls_servername\tstr\t\n" +
  "smtp_tls_session_cache_database\tstr\t\n" +
  "smtp_tls_session_cache_timeout\ttime:s\t3600s\n" +
  "smtp_tls_trust_anchor_file\tstr\t\n" +
  "smtp_tls_verify_cert_match\tstr\thostname\n" +
  "smtp_tls_wrappermode\tbool\tno\n" +
  "smtp_use_tls\tbool\tno\n" +
  "smtp_xforward_timeout\ttime:s\t300s\n" +
  "smtpd_authorized_verp_clients\tstr\t$authorized_verp_clients\n" +
  "smtpd_authorized_xclient_hosts\tstr\t\n" +
  "smtpd_authorized_xforward_hosts\tstr\t\n" +
  "smtpd_banner\tstr\t$myhostname ESMTP $mail_name\n" +
  "smtpd_client_auth_rate_limit\tint\t0\n" +
  "smtpd_client_connection_count_limit\tint\t50\n" +
  "smtpd_client_connection_rate_limit\tint\t0\n" +
  "smtpd_client_event_limit_exceptions\tstr\t${smtpd_client_connection_limit_exceptions:$mynetworks}\n" +
  "smtpd_client_message_rate_limit\tint\t0\n" +
  "smtpd_client_new_tls_session_rate_limit\tint\t0\n" +
  "smtpd_client_port_logging\tbool\tno\n" +
  "smtpd_client_recipient_rate_limit\tint\t0\n" +
  "smtpd_client_restrictions\tstr\t\n" +
  "smtpd_command_filter\tstr\t\n" +
  "smtpd_data_restrictions\tstr\t\n" +
  "smtpd_delay_open_until_valid_rcpt\tbool\tyes\n" +
  "smtpd_delay_reject\tbool\tyes\n" +
  "smtpd_discard_ehlo_keyword_address_maps\tstr\t\n" +
  "smtpd_discard_ehlo_keywords\tstr\t\n" +
  "smtpd_dns_reply_filter\tstr\t\n" +
  "smtpd_end_of_data_restrictions\tstr\t\n" +
  "smtpd_enforce_tls\tbool\tno\n" +
  "smtpd_error_sleep_time\ttime:s\t1s\n" +
  "smtpd_etrn_restrictions\tstr\t\n" +
  "smtpd_expansion_filter\traw\t\\t\\40!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\n" +
  "smtpd_forbid_bare_newline\tstr\tno\n" +
  "smtpd_forbid_bare_newline_exclusions\tstr\t$mynetworks\n" +
  "smtpd_forbid_bare_newline_reject_code\tint\t550\n" +
  "smtpd_forbid_unauth_pipelining\tbool\tno\n" +
  "smtpd_forbidden_commands\tstr\tCONNECT GET POST regexp:{{/^[^A-Z]/ Bogus}}\n" +
  "smtpd_hard_error_limit\tnint\t${stress?{1}:{20}}\n" +
  "smtpd_helo_required\tbool\tno\n" +
  "smtpd_helo_restrictions\tstr\t\n" +
  "smtpd_history_flush_threshold\tint\t100\n" +
  "smtpd_junk_command_limit\tnint\t${stress?{1}:{100}}\n" +
  "smtpd_log_access_permit_actions\tstr\t\n" +
  "smtpd_milter_maps\tstr\t\n" +
  "smtpd_milters\tstr\t\n" +
  "smtpd_min_data_rate\tint\t500\n" +
  "smtpd_noop_commands\tstr\t\n" +
  "smtpd_null_access_lookup_key\tstr\t<>\n" +
  "smtpd_peername_lookup\tbool\tyes\n" +
  "smtpd_per_request_deadline\tnbool\t${smtpd_per_record_deadline?{$smtpd_per_record_deadline}:{${stress?{yes}:{no}}}}\n" +
  "smtpd_policy_service_default_action\tstr\t451 4.3.5 Server configuration problem\n" +
  "smtpd_policy_service_max_idle\ttime:s\t300s\n" +
  "smtpd_policy_service_max_ttl\ttime:s\t1000s\n" +
  "smtpd_policy_service_policy_context\tstr\t\n" +
  "smtpd_policy_service_request_limit\tint\t0\n" +
  "smtpd_policy_service_retry_delay\ttime:s\t1s\n" +
  "smtpd_policy_service_timeout\ttime:s\t100s\n" +
  "smtpd_policy_service_try_limit\tint\t2\n" +
  "smtpd_proxy_ehlo\tstr\t$myhostname\n" +
  "smtpd_proxy_filter\tstr\t\n" +
  "smtpd_proxy_options\tstr\t\n" +
  "smtpd_proxy_timeout\ttime:s\t100s\n" +
  "smtpd_recipient_limit\tint\t1000\n" +
  "smtpd_recipient_overshoot_limit\tint\t1000\n" +
  "smtpd_recipient_restrictions\tstr\t\n" +
  "smtpd_reject_footer\traw\t\n" +
  "smtpd_reject_footer_maps\tstr\t\n" +
  "smtpd_reject_unlisted_recipient\tbool\tyes\n" +
  "smtpd_reject_unlisted_sender\tbool\tno\n" +
  "smtpd_relay_before_recipient_restrictions\tnbool\t${{$compatibility_level} <level {3.6} ? {no} : {yes}}\n" +
  "smtpd_relay_restrictions\tstr\t${{$compatibility_level} <level {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}\n" +
  "smtpd_restriction_classes\tstr\t\n" +
  "smtpd_sasl_auth_enable\tbool\tno\n" +
  "smtpd_sasl_authenticated_header\tbool\tno\n" +
  "smtpd_sasl_exceptions_networks\tstr\t\n" +
  "smtpd_sasl_local_domain\tstr\t\n" +
  "smtpd_sasl_mechanism_filter\tstr\t!external, static:rest\n" +
  "smtpd_sasl_path\tstr\tsmtpd\n" +
  "smtpd_sasl_response_limit\tint\t12288\n" +
  "smtpd_sasl_security_options\tstr\tnoanonymous\n" +
  "smtpd_sasl_service\tstr\tsmtp\n" +
  "smtpd_sasl_tls_security_options\tstr\t$smtpd_sasl_security_options\n" +
  "smtpd_sasl_type\tstr\tcyrus\n" +
  "smtpd_sender_login_maps\tstr\t\n" +
  "smtpd_sender_restrictions\tstr\t\n" +
  "smtpd_service_name\tstr\tsmtpd\n" +
  "smtpd_soft_error_limit\tnint\t10\n" +
  "smtpd_starttls_timeout\ttime:s\t${stress?{10}:{300}}s\n" +
  "smtpd_timeout\ttime:s\t${stress?{10}:{300}}s\n" +
  "smtpd_tls_CAfile\tstr\t\n" +
  "smtpd_tls_CApath\tstr\t\n" +
  "smtpd_tls_always_issue_session_ids\tbool\tyes\n" +
  "smtpd_tls_ask_ccert\tbool\tno\n" +
  "smtpd_tls_auth_only\tbool\tno\n" +
  "smtpd_tls_ccert_verifydepth\tint\t9\n" +
  "smtpd_tls_cert_file\tstr\t\n" +
  "smtpd_tls_chain_files\tstr\t\n" +
  "smtpd_tls_ciphers\tstr\tmedium\n" +
  "smtpd_tls_dcert_file\tstr\t\n" +
  "smtpd_tls_dh1024_param_file\tstr\t\n" +
  "smtpd_tls_dh512_param_file\tstr\t\n" +
  "smtpd_tls_dkey_file\tstr\t$smtpd_tls_dcert_file\n" +
  "smtpd_tls_eccert_file\tstr\t\n" +
  "smtpd_tls_eckey_file\tstr\t$smtpd_tls_eccert_file\n" +
  "smtpd_tls_eecdh_grade\tstr\tauto\n" +
  "smtpd_tls_exclude_ciphers\tstr\t\n" +
  "smtpd_tls_fingerprint_digest\tstr\t${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}\n" +
  "smtpd_tls_key_file\tstr\t$smtpd_tls_cert_file\n" +
  "smtpd_tls_loglevel\tstr\t0\n" +
  "smtpd_tls_mandatory_ciphers\tstr\tmedium\n" +
  "smtpd_tls_mandatory_exclude_ciphers\tstr\t\n" +
  "smtpd_tls_mandatory_protocols\tstr\t>=TLSv1\n" +
  "smtpd_tls_protocols\tstr\t>=TLSv1\n" +
  "smtpd_tls_received_header\tbool\tno\n" +
  "smtpd_tls_req_ccert\tbool\tno\n" +
  "smtpd_tls_security_level\tstr\t\n" +
  "smtpd_tls_session_cache_database\tstr\t\n" +
  "smtpd_tls_session_cache_timeout\ttime:s\t3600s\n" +
  "smtpd_tls_wrappermode\tbool\tno\n" +
  "smtpd_upstream_proxy_protocol\tstr\t\n" +
  "smtpd_upstream_proxy_timeout\ttime:s\t5s\n" +
  "smtpd_use_tls\tbool\tno\n" +
  "smtputf8_autodetect_classes\tstr\tsendmail, verify\n" +
  "smtputf8_enable\tnbool\t${{$compatibility_level} <level {1} ? {no} : {yes}}\n" +
  "soft_bounce\tbool\tno\n" +
  "stale_lock_time\ttime:s\t500s\n" +
  "stress\tstr\t\n" +
  "strict_7bit_headers\tbool\tno\n" +
  "strict_8bitmime\tbool\tno\n" +
  "strict_8bitmime_body\tbool\tno\n" +
  "strict_mailbox_ownership\tbool\tyes\n" +
  "strict_mime_encoding_domain\tbool\tno\n" +
  "strict_rfc821_envelopes\tbool\tno\n" +
  "strict_smtputf8\tbool\tno\n" +
  "sun_mailtool_compatibility\tbool\tno\n" +
  "swap_bangpath\tbool\tyes\n" +
  "syslog_facility\tstr\tmail\n" +
  "syslog_name\tstr\t${multi_instance_name?{$multi_instance_name}:{postfix}}\n" +
  "tcp_windowsize\tint\t0\n" +
  "tls_append_default_CA\tbool\tno\n" +
  "tls_config_file\tstr\tdefault\n" +
  "tls_config_name\tstr\t\n" +
  "tls_daemon_random_bytes\tint\t32\n" +
  "tls_dane_digests\tstr\tsha512 sha256\n" +
  "tls_disable_workarounds\tstr\t\n" +
  "tls_eecdh_auto_curves\tstr\tX25519 X448 prime256v1 secp521r1 secp384r1\n" +
  "tls_eecdh_strong_curve\tstr\tprime256v1\n" +
  "tls_eecdh_ultra_curve\tstr\tsecp384r1\n" +
  "tls_export_cipherlist\tstr\taNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH\n" +
  "tls_fast_shutdown_enable\tbool\tyes\n" +
  "tls_high_cipherlist\tstr\taNULL:-aNULL:HIGH:@STRENGTH\n" +
  "tls_legacy_public_key_fingerprints\tbool\tno\n" +
  "tls_low_cipherlist\tstr\taNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH\n" +
  "tls_medium_cipherlist\tstr\taNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH\n" +
  "tls_null_cipherlist\tstr\teNULL:!aNULL\n" +
  "tls_preempt_cipherlist\tbool\tno\n" +
  "tls_random_bytes\tint\t32\n" +
  "tls_random_exchange_name\tstr\t${data_directory}/prng_exch\n" +
  "tls_random_prng_update_period\ttime:s\t3600s\n" +
  "tls_random_reseed_period\ttime:s\t3600s\n" +
  "tls_random_source\tstr\tdev:/dev/urandom\n" +
  "tls_server_sni_maps\tstr\t\n" +
  "tls_session_ticket_cipher\tstr\taes-256-cbc\n" +
  "tls_ssl_options\tstr\t\n" +
  "tls_wildcard_matches_multiple_labels\tbool\tyes\n" +
  "tlsmgr_service_name\tstr\ttlsmgr\n" +
  "tlsproxy_client_CAfile\tstr\t$smtp_tls_CAfile\n" +
  "tlsproxy_client_CApath\tstr\t$smtp_tls_CApath\n" +
  "tlsproxy_client_cert_file\tstr\t$smtp_tls_cert_file\n" +
  "tlsproxy_client_chain_files\tstr\t$smtp_tls_chain_files\n" +
  "tlsproxy_client_dcert_file\tstr\t$smtp_tls_dcert_file\n" +
  "tlsproxy_client_dkey_file\tstr\t$smtp_tls_dkey_file\n" +
  "tlsproxy_client_eccert_file\tstr\t$smtp_tls_eccert_file\n" +
  "tlsproxy_client_eckey_file\tstr\t$smtp_tls_eckey_file\n" +
  "tlsproxy_client_enforce_tls\tnbool\t$smtp_enforce_tls\n" +
  "tlsproxy_client_fingerprint_digest\tstr\t$smtp_tls_fingerprint_digest\n" +
  "tlsproxy_client_key_file\tstr\t$smtp_tls_key_file\n" +
  "tlsproxy_client_loglevel\tstr\t$smtp_tls_loglevel\n" +
  "tlsproxy_client_loglevel_parameter\tstr\tsmtp_tls_loglevel\n" +
  "tlsproxy_client_per_site\tstr\t$smtp_tls_per_site\n" +
  "tlsproxy_client_policy_maps\tstr\t${tlsproxy_client_policy:$smtp_tls_policy_maps}\n" +
  "tlsproxy_client_scert_verifydepth\tnint\t$smtp_tls_scert_verifydepth\n" +
  "tlsproxy_client_security_level\tstr\t${tlsproxy_client_level:$smtp_tls_security_level}\n" +
  "tlsproxy_client_use_tls\tnbool\t$smtp_use_tls\n" +
  "tlsproxy_enforce_tls\tnbool\t$smtpd_enforce_tls\n" +
  "tlsproxy_service_name\tstr\ttlsproxy\n" +
  "tlsproxy_tls_CAfile\tstr\t$smtpd_tls_CAfile\n" +
  "tlsproxy_tls_CApath\tstr\t$smtpd_tls_CApath\n" +
  "tlsproxy_tls_always_issue_session_ids\tnbool\t$smtpd_tls_always_issue_session_ids\n" +
  "tlsproxy_tls_ask_ccert\tnbool\t$smtpd_tls_ask_ccert\n" +
  "tlsproxy_tls_ccert_verifydepth\tnint\t$smtpd_tls_ccert_verifydepth\n" +
  "tlsproxy_tls_cert_file\tstr\t$smtpd_tls_cert_file\n" +
  "tlsproxy_tls_chain_files\tstr\t$smtpd_tls_chain_files\n" +
  "tlsproxy_tls_ciphers\tstr\t$smtpd_tls_ciphers\n" +
  "tlsproxy_tls_dcert_file\tstr\t$smtpd_tls_dcert_file\n" +
  "tlsproxy_tls_dh1024_param_file\tstr\t$smtpd_tls_dh1024_param_file\n" +
  "tlsproxy_tls_dh512_param_file\tstr\t$smtpd_tls_dh512_param_file\n" +
  "tlsproxy_tls_dkey_file\tstr\t$smtpd_tls_dkey_file\n" +
  "tlsproxy_tls_eccert_file\tstr\t$smtpd_tls_eccert_file\n" +
  "tlsproxy_tls_eckey_file\tstr\t$smtpd_tls_eckey_file\n" +
  "tlsproxy_tls_eecdh_grade\tstr\t$smtpd_tls_eecdh_grade\n" +
  "tlsproxy_tls_exclude_ciphers\tstr\t$smtpd_tls_exclude_ciphers\n" +
  "tlsproxy_tls_fingerprint_digest\tstr\t$smtpd_tls_fingerprint_digest\n" +
  "tlsproxy_tls_key_file\tstr\t$smtpd_tls_key_file\n" +
  "tlsproxy_tls_loglevel\tstr\t$smtpd_tls_loglevel\n" +
  "tlsproxy_tls_mandatory_ciphers\tstr\t$smtpd_tls_mandatory_ciphers\n" +
  "tlsproxy_tls_mandatory_exclude_ciphers\tstr\t$smtpd_tls_mandatory_exclude_ciphers\n" +
  "tlsproxy_tls_mandatory_protocols\tstr\t$smtpd_tls_mandatory_protocols\n" +
  "tlsproxy_tls_protocols\tstr\t$smtpd_tls_protocols\n" +
  "tlsproxy_tls_req_ccert\tnbool\t$smtpd_tls_req_ccert\n" +
  "tlsproxy_tls_security_level\tstr\t$smtpd_tls_security_level\n" +
  "tlsproxy_use_tls\tnbool\t$smtpd_use_tls\n" +
  "tlsproxy_watchdog_timeout\ttime:s\t10s\n" +
  "trace_service_name\tstr\ttrace\n" +
  "transport_maps\tstr\t\n" +
  "transport_retry_time\ttime:s\t60s\n" +
  "trigger_timeout\ttime:s\t10s\n" +
  "undisclosed_recipients_header\tstr\t\n" +
  "unknown_address_reject_code\tint\t450\n" +
  "unknown_address_tempfail_action\tstr\t$reject_tempfail_action\n" +
  "unknown_client_reject_code\tint\t450\n" +
  "unknown_helo_hostname_tempfail_action\tstr\t$reject_tempfail_action\n" +
  "unknown_hostname_reject_code\tint\t450\n" +
  "unknown_local_recipient_reject_code\tint\t550\n" +
  "unknown_relay_recipient_reject_code\tint\t550\n" +
  "unknown_virtual_alias_reject_code\tint\t550\n" +
  "unknown_virtual_mailbox_reject_code\tint\t550\n" +
  "unverified_recipient_defer_code\tint\t450\n" +
  "unverified_recipient_reject_code\tint\t450\n" +
  "unverified_recipient_reject_reason\tstr\t\n" +
  "unverified_recipient_tempfail_action\tstr\t$reject_tempfail_action\n" +
  "unverified_sender_defer_code\tint\t450\n" +
  "unverified_sender_reject_code\tint\t450\n" +
  "unverified_sender_reject_reason\tstr\t\n" +
  "unverified_sender_tempfail_action\tstr\t$reject_tempfail_action\n" +
  "verp_delimiter_filter\tstr\t-=+\n" +
  "virtual_alias_address_length_limit\tint\t1000\n" +
  "virtual_alias_domains\tstr\t$virtual_alias_maps\n" +
  "virtual_alias_expansion_limit\tint\t1000\n" +
  "virtual_alias_maps\tstr\t$virtual_maps\n" +
  "virtual_alias_recursion_limit\tint\t1000\n" +
  "virtual_delivery_status_filter\tstr\t$default_delivery_status_filter\n" +
  "virtual_gid_maps\tstr\t\n" +
  "virtual_mailbox_base\tstr\t\n" +
  "virtual_mailbox_domains\tstr\t$virtual_mailbox_maps\n" +
  "virtual_mailbox_limit\tlong\t51200000\n" +
  "virtual_mailbox_lock\tstr\tfcntl, dotlock\n" +
  "virtual_mailbox_maps\tstr\t\n" +
  "virtual_minimum_uid\tint\t100\n" +
  "virtual_transport\tstr\tvirtual\n" +
  "virtual_uid_maps\tstr\t\n";

/** The table as [name, type, default] rows, for code that walks all of it (postconf's full listing, tests). */
export function paramRows(): [string, string, string][] {
  const rows: [string, string, string][] = [];
  for (const line of PARAM_TABLE.split("\n")) {
    if (line === "") continue;
    const [n, t, d] = line.split("\t") as [string, string, string];
    rows.push([n, t, d]);
  }
  return rows;
}
