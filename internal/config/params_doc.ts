/**
 * params_doc — one-line descriptions of the built-in parameters, in postkit's own words.
 *
 * Kept apart from params_table.ts so that tools which never print descriptions never load them. Format of
 * PARAM_DOCS: one string of lines `name<TAB>description`, starting and ending with a newline, sorted by name;
 * each description at most 90 characters.
 */

/** "\nname\tdescription\n…" */
export const PARAM_DOCS =
  "\n" +
  "2bounce_notice_recipient\tWho gets notices about undeliverable bounce messages (double bounces)\n" +
  "access_map_defer_code\tSMTP reply code when an access(5) table answers DEFER\n" +
  "access_map_reject_code\tSMTP reply code when an access(5) table answers REJECT\n" +
  "address_verify_cache_cleanup_interval\tHow often the verify(8) daemon purges expired entries from its cache\n" +
  "address_verify_default_transport\tOverrides default_transport for address verification probes\n" +
  "address_verify_local_transport\tOverrides local_transport for address verification probes\n" +
  "address_verify_map\tOptional persistent cache of address verification results\n" +
  "address_verify_negative_cache\tWhether verify(8) remembers addresses that failed verification\n" +
  "address_verify_negative_expire_time\tAge at which a failed verification result is dropped from the cache\n" +
  "address_verify_negative_refresh_time\tAge at which a failed verification result is probed again\n" +
  "address_verify_pending_request_limit\tCap on verification probes in progress at the same time\n" +
  "address_verify_poll_count\tTimes smtpd asks verify(8) for a result before answering \"try later\"\n" +
  "address_verify_poll_delay\tWait between two smtpd queries of the verify(8) daemon\n" +
  "address_verify_positive_expire_time\tAge at which a successful verification result is dropped from the cache\n" +
  "address_verify_positive_refresh_time\tAge at which a successful verification result is probed again\n" +
  "address_verify_relay_transport\tOverrides relay_transport for address verification probes\n" +
  "address_verify_relayhost\tOverrides relayhost for address verification probes\n" +
  "address_verify_sender\tEnvelope sender of verification probes; empty means the null sender\n" +
  "address_verify_sender_dependent_default_transport_maps\tOverrides sender_dependent_default_transport_maps for verification probes\n" +
  "address_verify_sender_dependent_relayhost_maps\tOverrides sender_dependent_relayhost_maps for verification probes\n" +
  "address_verify_sender_ttl\tLifetime of a time-varying probe sender address; 0 keeps it fixed\n" +
  "address_verify_service_name\tService that smtpd asks about address verification (verify(8))\n" +
  "address_verify_transport_maps\tOverrides transport_maps for address verification probes\n" +
  "address_verify_virtual_transport\tOverrides virtual_transport for address verification probes\n" +
  "alias_database\tAlias tables that newaliases (or sendmail -bi) rebuilds\n" +
  "alias_maps\tTables the local(8) agent uses to expand aliases\n" +
  "allow_mail_to_commands\tKinds of local delivery (alias, forward, include) that may pipe into commands\n" +
  "allow_mail_to_files\tKinds of local delivery (alias, forward, include) that may write to files\n" +
  "allow_min_user\tWhether addresses that begin with '-' are accepted\n" +
  "allow_percent_hack\tWhether user%domain is rewritten to user@domain\n" +
  "allow_untrusted_routing\tWhether smtpd relays source-routed addresses (user@a@b) from untrusted clients\n" +
  "alternate_config_directories\tExtra config directories unprivileged users may name with -c or MAIL_CONFIG\n" +
  "always_add_missing_headers\tAdd From/To/Date/Message-ID headers even for mail from remote clients\n" +
  "always_bcc\tAddress that gets a blind copy of every message received\n" +
  "anvil_rate_time_unit\tTime window over which anvil(8) measures client connection and request rates\n" +
  "anvil_status_update_time\tHow often anvil(8) logs its peak usage counters\n" +
  "append_at_myorigin\tAppend @$myorigin to bare local names in locally submitted mail\n" +
  "append_dot_mydomain\tAppend .$mydomain to addresses whose domain has no dot\n" +
  "application_event_drain_time\tHow long postkick waits for a daemon to accept its request\n" +
  "authorized_flush_users\tWho may flush the queue (postqueue -f, -i, -s)\n" +
  "authorized_mailq_users\tWho may list the queue (postqueue -p, mailq)\n" +
  "authorized_submit_users\tWho may submit mail through sendmail/postdrop\n" +
  "backwards_bounce_logfile_compatibility\tWrite bounce logfile records that pre-2.0 Postfix can read\n" +
  "berkeley_db_create_buffer_size\tBerkeley DB cache size used while postmap/postalias build a table\n" +
  "berkeley_db_read_buffer_size\tBerkeley DB cache size used by programs that only read tables\n" +
  "best_mx_transport\tTransport used when this host is the best MX of a non-local destination\n" +
  "biff\tWhether local(8) notifies the biff/comsat service of new mail\n" +
  "body_checks\tPattern tables that cleanup(8) applies to every line of the message body\n" +
  "body_checks_size_limit\tHow many bytes of each body part body_checks look at\n" +
  "bounce_notice_recipient\tWho gets the postmaster copy of bounced mail (notify_classes \"bounce\")\n" +
  "bounce_queue_lifetime\tTime a bounce message may stay queued before it is given up\n" +
  "bounce_service_name\tName of the bounce(8) service that reports failed deliveries\n" +
  "bounce_size_limit\tMost original-message bytes returned in a bounce\n" +
  "bounce_template_file\tFile with custom texts for delivery status notifications\n" +
  "broken_sasl_auth_clients\tAlso announce AUTH in the old \"AUTH=\" form for broken clients\n" +
  "canonical_classes\tWhich addresses (envelope/header, sender/recipient) canonical_maps rewrite\n" +
  "canonical_maps\tTables that rewrite sender and recipient addresses into canonical form\n" +
  "cleanup_replace_stray_cr_lf\tReplace CR or LF that is not part of CRLF in message content by a space\n" +
  "cleanup_service_name\tName of the cleanup(8) service that processes incoming mail\n" +
  "command_directory\tWhere Postfix administrative commands are installed\n" +
  "command_execution_directory\tWorking directory for local(8) command deliveries ($name expanded)\n" +
  "command_expansion_filter\tCharacters allowed in $name expansions for local(8) command deliveries\n" +
  "command_time_limit\tTime limit for local(8) command deliveries, and pipe(8)'s default limit\n" +
  "compatibility_level\tWhich release's defaults to keep where safer defaults changed later\n" +
  "config_directory\tDirectory holding main.cf and master.cf\n" +
  "confirm_delay_cleared\tTell the sender when mail that was reported delayed is finally delivered\n" +
  "connection_cache_protocol_timeout\tTime limit for talking to the scache(8) connection cache service\n" +
  "connection_cache_service_name\tName of the scache(8) shared connection cache service\n" +
  "connection_cache_status_update_time\tHow often scache(8) logs its usage statistics\n" +
  "connection_cache_ttl_limit\tLongest time a connection may sit unused in the connection cache\n" +
  "content_filter\tTransport:nexthop that receives all mail after queuing, for filtering\n" +
  "cyrus_sasl_config_path\tSearch path for Cyrus SASL configuration files\n" +
  "daemon_directory\tWhere Postfix daemon programs are installed\n" +
  "daemon_table_open_error_is_fatal\tMake a daemon exit (not just warn) when a lookup table cannot be opened\n" +
  "daemon_timeout\tTime a daemon may spend on one request before it aborts\n" +
  "data_directory\tWritable directory for Postfix caches, locks and PRNG state\n" +
  "debug_peer_level\tExtra verbosity for clients and servers matched by debug_peer_list\n" +
  "debug_peer_list\tHosts or domains for which logging is made more verbose\n" +
  "debugger_command\tCommand run when a daemon is started with -D\n" +
  "default_database_type\tTable type used when a table name has no type: prefix\n" +
  "default_delivery_slot_cost\tqmgr preemption: deliveries a message must wait for to earn one slot\n" +
  "default_delivery_slot_discount\tqmgr preemption: share of slots usable before they are fully earned\n" +
  "default_delivery_slot_loan\tqmgr preemption: slots lent to a message in advance\n" +
  "default_delivery_status_filter\tOptional filter that rewrites delivery status code and text\n" +
  "default_destination_concurrency_failed_cohort_limit\tFailed cohorts after which a destination is marked dead\n" +
  "default_destination_concurrency_limit\tMost parallel deliveries to one destination\n" +
  "default_destination_concurrency_negative_feedback\tConcurrency decrease after a failed delivery to a destination\n" +
  "default_destination_concurrency_positive_feedback\tConcurrency increase after a successful delivery to a destination\n" +
  "default_destination_rate_delay\tPause between deliveries to the same destination; 0 means none\n" +
  "default_destination_recipient_limit\tMost recipients per delivery request for one destination\n" +
  "default_extra_recipient_limit\tExtra in-memory recipient slots qmgr may add per transport\n" +
  "default_filter_nexthop\tNext hop for content_filter or FILTER actions that name none\n" +
  "default_minimum_delivery_slots\tRecipients a message needs before qmgr preemption applies to it\n" +
  "default_privs\tUnprivileged user for local(8) file/command deliveries on behalf of root\n" +
  "default_process_limit\tDefault limit on the number of processes of one master.cf service\n" +
  "default_rbl_reply\tTemplate for the reply given when a client is found in a DNS blocklist\n" +
  "default_recipient_limit\tMost in-memory recipients qmgr keeps per transport\n" +
  "default_recipient_refill_delay\tWait before qmgr loads more recipients of a message\n" +
  "default_recipient_refill_limit\tHow many recipients qmgr loads into memory at a time\n" +
  "default_transport\tTransport for destinations not handled by local, virtual or relay\n" +
  "default_transport_rate_delay\tPause between deliveries over the same transport; 0 means none\n" +
  "default_verp_delimiters\tCharacters that separate the VERP sender from the recipient\n" +
  "defer_code\tSMTP reply code for the \"defer\" restriction\n" +
  "defer_service_name\tName of the service that records deferred deliveries\n" +
  "defer_transports\tTransports whose deliveries are held until an explicit flush\n" +
  "delay_logging_resolution_limit\tMost digits after the decimal point in logged delays\n" +
  "delay_notice_recipient\tWho gets the postmaster copy of delay notices (notify_classes \"delay\")\n" +
  "delay_warning_time\tTime after which the sender is warned of delayed mail; 0 disables\n" +
  "deliver_lock_attempts\tTries to lock a mailbox or bounce log before giving up\n" +
  "deliver_lock_delay\tWait between attempts to lock a mailbox or bounce log\n" +
  "destination_concurrency_feedback_debug\tLog the qmgr concurrency feedback state for each destination\n" +
  "detect_8bit_encoding_header\tTreat 8bit or binary Content-Transfer-Encoding as a sign of 8-bit content\n" +
  "disable_dns_lookups\tObsolete switch that turns off DNS lookups in the SMTP/LMTP client\n" +
  "disable_mime_input_processing\tTurn off MIME parsing in cleanup(8)\n" +
  "disable_mime_output_conversion\tTurn off 8BITMIME to 7BIT conversion before SMTP delivery\n" +
  "disable_verp_bounces\tSend one bounce for all recipients instead of one per VERP recipient\n" +
  "disable_vrfy_command\tTurn off the SMTP VRFY command\n" +
  "dns_ncache_ttl_fix_enable\tWork around resolvers that hide the reply to a negative DNS lookup\n" +
  "dnsblog_reply_delay\tArtificial delay on dnsblog(8) replies, for testing\n" +
  "dnsblog_service_name\tName of the dnsblog(8) service that postscreen uses for DNSBL lookups\n" +
  "dnssec_probe\tDNS query made once to check that the resolver validates DNSSEC\n" +
  "dont_remove\tKeep delivered queue files in \"saved\" instead of deleting them (debugging)\n" +
  "double_bounce_sender\tSender address of bounce notices; mail to it is discarded\n" +
  "duplicate_filter_limit\tHow many recipients local(8) and cleanup(8) remember for duplicate removal\n" +
  "empty_address_default_transport_maps_lookup_key\tKey used for the null sender in sender_dependent_default_transport_maps\n" +
  "empty_address_local_login_sender_maps_lookup_key\tKey used for the null sender in local_login_sender_maps\n" +
  "empty_address_recipient\tWhere mail to the empty address (<>) is delivered\n" +
  "empty_address_relayhost_maps_lookup_key\tKey used for the null sender in sender_dependent_relayhost_maps\n" +
  "enable_idna2003_compatibility\tUse IDNA2003 instead of UTS #46 when converting domain names\n" +
  "enable_long_queue_ids\tUse long, time-ordered queue IDs that are unique over time\n" +
  "enable_original_recipient\tKeep the original recipient address in queue files (X-Original-To)\n" +
  "enable_threaded_bounces\tThread bounce and delay notices with the original message via References\n" +
  "error_notice_recipient\tWho gets the postmaster copy of protocol and policy error reports\n" +
  "error_service_name\tName of the error(8) service that fails or defers mail\n" +
  "execution_directory_expansion_filter\tCharacters allowed in $name expansions of command_execution_directory\n" +
  "expand_owner_alias\tUse the expansion of owner-x, not its name, as envelope sender for alias x\n" +
  "export_environment\tEnvironment variables passed on to external commands\n" +
  "fallback_transport\tTransport for local recipients not found in the UNIX passwd database\n" +
  "fallback_transport_maps\tPer-recipient fallback transports for unknown local recipients\n" +
  "fast_flush_domains\tDestinations for which a per-destination deferred-mail log is kept\n" +
  "fast_flush_purge_time\tAge at which an unused fast-flush logfile is removed\n" +
  "fast_flush_refresh_time\tAge at which a fast-flush logfile is re-requested for delivery\n" +
  "fault_injection_code\tForce specific failures for testing; never set it in production\n" +
  "flush_service_name\tName of the flush(8) fast-flush service\n" +
  "fork_attempts\tTries to fork a process before giving up\n" +
  "fork_delay\tWait between failed fork attempts\n" +
  "forward_expansion_filter\tCharacters allowed in $name expansions of forward_path\n" +
  "forward_path\tWhere local(8) looks for .forward files ($name expanded)\n" +
  "frozen_delivered_to\tSet Delivered-To once at the start of delivery, not at each alias level\n" +
  "hash_queue_depth\tNumber of hashed subdirectory levels in hashed queues\n" +
  "hash_queue_names\tQueue directories that are split into hashed subdirectories\n" +
  "header_address_token_limit\tMost address tokens parsed in one message header\n" +
  "header_checks\tPattern tables that cleanup(8) applies to primary message headers\n" +
  "header_from_format\tStyle of From: headers that Postfix generates (standard or obsolete)\n" +
  "header_size_limit\tMost bytes kept from one (possibly multi-line) message header\n" +
  "helpful_warnings\tLog warnings about likely configuration mistakes\n" +
  "home_mailbox\tMailbox path relative to the home directory; trailing / means maildir\n" +
  "hopcount_limit\tMost Received: headers before a message is considered looping\n" +
  "html_directory\tWhere the HTML documentation is installed\n" +
  "ignore_mx_lookup_error\tOn MX lookup failure, fall back to A/AAAA records instead of deferring\n" +
  "import_environment\tEnvironment variables a Postfix process keeps from its parent\n" +
  "in_flow_delay\tPause imposed on mail submission while input outpaces delivery\n" +
  "inet_interfaces\tLocal addresses the mail system receives mail on\n" +
  "inet_protocols\tInternet protocols used: ipv4, ipv6 or all\n" +
  "info_log_address_format\tAddress form in logs: external (quoted) or internal\n" +
  "initial_destination_concurrency\tParallel deliveries to a new destination before feedback adjusts it\n" +
  "internal_mail_filter_classes\tKinds of Postfix-generated mail that content filters and milters see\n" +
  "invalid_hostname_reject_code\tSMTP reply code for reject_invalid_helo_hostname\n" +
  "ipc_idle\tIdle time after which a client drops its connection to an internal service\n" +
  "ipc_timeout\tTime limit for sending or receiving one internal IPC message\n" +
  "ipc_ttl\tLongest time a client keeps a connection to an internal service\n" +
  "known_tcp_ports\tService name to port mappings that override /etc/services\n" +
  "line_length_limit\tLongest line kept whole; longer lines are split\n" +
  "lmdb_map_size\tInitial size in bytes of an LMDB table\n" +
  "lmtp_address_preference\tWhich address family the LMTP client tries first: ipv4, ipv6 or any\n" +
  "lmtp_address_verify_target\tLMTP stage that decides a verification probe's outcome: rcpt or data\n" +
  "lmtp_assume_final\tTreat a server without DSN support as doing final delivery\n" +
  "lmtp_balance_inet_protocols\tMix IPv4 and IPv6 addresses before the LMTP client applies its address limit\n" +
  "lmtp_bind_address\tLocal IPv4 address for outgoing LMTP connections\n" +
  "lmtp_bind_address6\tLocal IPv6 address for outgoing LMTP connections\n" +
  "lmtp_bind_address_enforce\tDefer delivery when the LMTP client cannot bind its source address\n" +
  "lmtp_body_checks\tBody checks the LMTP client applies to outgoing mail\n" +
  "lmtp_cname_overrides_servername\tLet a CNAME replace the server name used for LMTP TLS checks and logs\n" +
  "lmtp_connect_timeout\tTime limit for the LMTP client to complete a TCP connection\n" +
  "lmtp_connection_cache_destinations\tDestinations for which the LMTP client always caches connections\n" +
  "lmtp_connection_cache_on_demand\tCache LMTP connections to destinations that have a backlog\n" +
  "lmtp_connection_cache_time_limit\tHow long an unused LMTP connection stays cached\n" +
  "lmtp_connection_reuse_count_limit\tMost deliveries per cached LMTP connection; 0 means no limit\n" +
  "lmtp_connection_reuse_time_limit\tLongest total time an LMTP connection may be reused\n" +
  "lmtp_data_done_timeout\tTime limit for the LMTP server reply after the final dot\n" +
  "lmtp_data_init_timeout\tTime limit for the LMTP server reply to DATA\n" +
  "lmtp_data_xfer_timeout\tTime limit for transmitting the message content to the LMTP server\n" +
  "lmtp_defer_if_no_mx_address_found\tDefer instead of trying A records when MX hosts have no address\n" +
  "lmtp_delivery_status_filter\tDelivery status filter for the LMTP client\n" +
  "lmtp_discard_lhlo_keyword_address_maps\tPer-server tables of LHLO keywords the LMTP client ignores\n" +
  "lmtp_discard_lhlo_keywords\tLHLO keywords the LMTP client ignores\n" +
  "lmtp_dns_reply_filter\tPattern table that edits DNS replies the LMTP client receives\n" +
  "lmtp_dns_resolver_options\tResolver flags for the LMTP client's DNS lookups\n" +
  "lmtp_dns_support_level\tLMTP client DNS use: disabled, enabled or dnssec\n" +
  "lmtp_enforce_tls\tObsolete: require verified TLS in the LMTP client\n" +
  "lmtp_fallback_relay\tRelays to try when the LMTP client cannot reach a destination\n" +
  "lmtp_generic_maps\tTables that rewrite addresses in mail the LMTP client sends\n" +
  "lmtp_header_checks\tHeader checks the LMTP client applies to outgoing mail\n" +
  "lmtp_host_lookup\tHow the LMTP client finds server addresses: dns, native or both\n" +
  "lmtp_lhlo_name\tHost name the LMTP client sends in LHLO\n" +
  "lmtp_lhlo_timeout\tTime limit for the LMTP greeting and the LHLO reply\n" +
  "lmtp_line_length_limit\tLongest line the LMTP client sends before folding it\n" +
  "lmtp_mail_timeout\tTime limit for the LMTP server reply to MAIL FROM\n" +
  "lmtp_mime_header_checks\tMIME header checks the LMTP client applies to outgoing mail\n" +
  "lmtp_min_data_rate\tLowest LMTP DATA rate (bytes/s) when per-request deadlines are on\n" +
  "lmtp_mx_address_limit\tMost server addresses the LMTP client tries per delivery\n" +
  "lmtp_mx_session_limit\tMost LMTP sessions per delivery before giving up or falling back\n" +
  "lmtp_nested_header_checks\tAttached-message header checks the LMTP client applies\n" +
  "lmtp_per_request_deadline\tMake LMTP client timeouts cover a whole request instead of each I/O\n" +
  "lmtp_pix_workaround_delay_time\tPause before sending the final dot to a server with the PIX bug\n" +
  "lmtp_pix_workaround_maps\tPer-destination PIX firewall workarounds for the LMTP client\n" +
  "lmtp_pix_workaround_threshold_time\tMessage queue age at which the LMTP client enables PIX workarounds\n" +
  "lmtp_pix_workarounds\tPIX firewall workarounds the LMTP client applies\n" +
  "lmtp_quit_timeout\tTime limit for the LMTP server reply to QUIT\n" +
  "lmtp_quote_rfc821_envelope\tQuote LMTP envelope addresses that need it\n" +
  "lmtp_randomize_addresses\tShuffle LMTP server addresses of equal preference\n" +
  "lmtp_rcpt_timeout\tTime limit for the LMTP server reply to RCPT TO\n" +
  "lmtp_reply_filter\tPattern table that edits LMTP server replies before use\n" +
  "lmtp_rset_timeout\tTime limit for the LMTP server reply to RSET\n" +
  "lmtp_sasl_auth_cache_name\tTable that remembers LMTP SASL login failures\n" +
  "lmtp_sasl_auth_cache_time\tHow long an LMTP SASL login failure is remembered\n" +
  "lmtp_sasl_auth_enable\tUse SASL authentication in the LMTP client\n" +
  "lmtp_sasl_auth_soft_bounce\tTreat LMTP SASL login failures as temporary\n" +
  "lmtp_sasl_mechanism_filter\tWhich server SASL mechanisms the LMTP client may use\n" +
  "lmtp_sasl_password_maps\tPer-destination LMTP client SASL user names and passwords\n" +
  "lmtp_sasl_path\tLMTP client SASL plug-in specific path or configuration name\n" +
  "lmtp_sasl_security_options\tLMTP client SASL mechanism restrictions without TLS\n" +
  "lmtp_sasl_tls_security_options\tLMTP client SASL mechanism restrictions with unverified TLS\n" +
  "lmtp_sasl_tls_verified_security_options\tLMTP client SASL mechanism restrictions with verified TLS\n" +
  "lmtp_sasl_type\tSASL plug-in type for the LMTP client\n" +
  "lmtp_send_dummy_mail_auth\tAdd AUTH=<> to MAIL FROM in authenticated LMTP sessions\n" +
  "lmtp_send_xforward_command\tSend XFORWARD with the original client details when the LMTP server allows it\n" +
  "lmtp_sender_dependent_authentication\tPick LMTP client SASL credentials by sender address\n" +
  "lmtp_skip_5xx_greeting\tTry the next LMTP server when one greets with 5xx\n" +
  "lmtp_skip_quit_response\tDo not wait for the LMTP server reply to QUIT\n" +
  "lmtp_starttls_timeout\tTime limit for the LMTP client's TLS handshake\n" +
  "lmtp_tcp_port\tDefault port for LMTP client connections\n" +
  "lmtp_tls_CAfile\tFile of trusted CA certificates for verifying LMTP servers\n" +
  "lmtp_tls_CApath\tDirectory of trusted CA certificates for verifying LMTP servers\n" +
  "lmtp_tls_block_early_mail_reply\tDetect LMTP servers that answer injected commands (CVE-2009-3555)\n" +
  "lmtp_tls_cert_file\tFile with the LMTP client's RSA certificate\n" +
  "lmtp_tls_chain_files\tFiles with the LMTP client's private keys and certificate chains\n" +
  "lmtp_tls_ciphers\tLowest cipher grade for opportunistic LMTP client TLS\n" +
  "lmtp_tls_connection_reuse\tReuse TLS-protected LMTP connections through tlsproxy(8)\n" +
  "lmtp_tls_dcert_file\tFile with the LMTP client's DSA certificate\n" +
  "lmtp_tls_dkey_file\tFile with the LMTP client's DSA private key\n" +
  "lmtp_tls_eccert_file\tFile with the LMTP client's ECDSA certificate\n" +
  "lmtp_tls_eckey_file\tFile with the LMTP client's ECDSA private key\n" +
  "lmtp_tls_enforce_peername\tObsolete: require a matching LMTP server name with enforced TLS\n" +
  "lmtp_tls_exclude_ciphers\tCiphers excluded from all LMTP client TLS sessions\n" +
  "lmtp_tls_fingerprint_cert_match\tLMTP server certificate fingerprints for the fingerprint level\n" +
  "lmtp_tls_fingerprint_digest\tDigest for LMTP server certificate fingerprints\n" +
  "lmtp_tls_force_insecure_host_tlsa_lookup\tLook up TLSA records even for LMTP hosts in unsigned zones\n" +
  "lmtp_tls_key_file\tFile with the LMTP client's RSA private key\n" +
  "lmtp_tls_loglevel\tAmount of LMTP client TLS logging\n" +
  "lmtp_tls_mandatory_ciphers\tLowest cipher grade when LMTP client TLS is mandatory\n" +
  "lmtp_tls_mandatory_exclude_ciphers\tCiphers excluded when LMTP client TLS is mandatory\n" +
  "lmtp_tls_mandatory_protocols\tTLS protocol versions when LMTP client TLS is mandatory\n" +
  "lmtp_tls_note_starttls_offer\tLog LMTP servers that offer STARTTLS when TLS is not used\n" +
  "lmtp_tls_per_site\tObsolete per-destination LMTP client TLS policy table\n" +
  "lmtp_tls_policy_maps\tPer-destination LMTP client TLS policy tables\n" +
  "lmtp_tls_protocols\tTLS protocol versions for opportunistic LMTP client TLS\n" +
  "lmtp_tls_scert_verifydepth\tDeepest LMTP server certificate chain that is verified\n" +
  "lmtp_tls_secure_cert_match\tLMTP server names a certificate must match at the secure level\n" +
  "lmtp_tls_security_level\tDefault LMTP client TLS level (none, may, encrypt, dane, verify, secure...)\n" +
  "lmtp_tls_servername\tSNI name the LMTP client sends; empty sends none\n" +
  "lmtp_tls_session_cache_database\tLMTP client TLS session cache shared via tlsmgr(8)\n" +
  "lmtp_tls_session_cache_timeout\tLifetime of cached LMTP client TLS sessions\n" +
  "lmtp_tls_trust_anchor_file\tFiles of trust anchors for LMTP server certificate checks\n" +
  "lmtp_tls_verify_cert_match\tLMTP server names a certificate must match at the verify level\n" +
  "lmtp_tls_wrappermode\tUse TLS from the start of the LMTP connection (port 465 style)\n" +
  "lmtp_use_tls\tObsolete: use TLS when the LMTP server offers STARTTLS\n" +
  "lmtp_xforward_timeout\tTime limit for the LMTP server reply to XFORWARD\n" +
  "local_command_shell\tShell for every local(8) command; empty runs commands directly or via /bin/sh\n" +
  "local_delivery_status_filter\tDelivery status filter for the local(8) delivery agent\n" +
  "local_destination_concurrency_limit\tMost parallel deliveries to one local recipient\n" +
  "local_destination_recipient_limit\tRecipients per local(8) delivery request\n" +
  "local_header_rewrite_clients\tClients whose message headers get local-style address rewriting\n" +
  "local_login_sender_maps\tWhich envelope senders each local login user may use with sendmail\n" +
  "local_recipient_maps\tTables of valid local recipients; unknown ones are rejected by smtpd\n" +
  "local_transport\tTransport for domains in mydestination or local addresses\n" +
  "luser_relay\tDestination for unknown local recipients ($name expanded)\n" +
  "mail_name\tMail system name used in the SMTP banner and headers\n" +
  "mail_owner\tUNIX account that owns the queue and runs most daemons\n" +
  "mail_release_date\tRelease date of this Postfix version\n" +
  "mail_spool_directory\tDirectory of UNIX-style mailboxes; trailing / means maildir\n" +
  "mail_version\tVersion of this Postfix release\n" +
  "mailbox_command\tCommand local(8) runs to deliver to a mailbox instead of writing it\n" +
  "mailbox_command_maps\tPer-recipient mailbox_command lookup tables\n" +
  "mailbox_delivery_lock\tLocking methods for UNIX-style mailboxes\n" +
  "mailbox_size_limit\tLargest mailbox or maildir file local(8) writes; 0 means no limit\n" +
  "mailbox_transport\tTransport that takes over local mailbox delivery\n" +
  "mailbox_transport_maps\tPer-recipient mailbox_transport lookup tables\n" +
  "maillog_file\tFile that postlogd(8) writes logs to instead of syslog\n" +
  "maillog_file_compressor\tProgram that compresses rotated maillog files\n" +
  "maillog_file_prefixes\tAllowed path prefixes for maillog_file\n" +
  "maillog_file_rotate_suffix\tstrftime(3) suffix appended to a rotated maillog file\n" +
  "mailq_path\tPath of the Sendmail-compatible mailq command\n" +
  "manpage_directory\tWhere the manual pages are installed\n" +
  "maps_rbl_domains\tObsolete DNS blocklist domains for reject_maps_rbl\n" +
  "maps_rbl_reject_code\tSMTP reply code when a client is in a DNS blocklist\n" +
  "masquerade_classes\tWhich addresses (envelope/header, sender/recipient) are masqueraded\n" +
  "masquerade_domains\tDomains whose subdomains are stripped from addresses\n" +
  "masquerade_exceptions\tLocal parts that are never masqueraded\n" +
  "master_service_disable\tmaster.cf services to turn off\n" +
  "max_idle\tTime a daemon waits for a new request before exiting\n" +
  "max_use\tRequests a daemon handles before exiting\n" +
  "maximal_backoff_time\tLongest wait between delivery attempts of a deferred message\n" +
  "maximal_queue_lifetime\tTime a message may stay queued before it bounces\n" +
  "message_drop_headers\tHeaders removed from incoming mail\n" +
  "message_reject_characters\tCharacters that make cleanup(8) reject a message\n" +
  "message_size_limit\tLargest message accepted, envelope included, in bytes\n" +
  "message_strip_characters\tCharacters that cleanup(8) removes from message content\n" +
  "meta_directory\tWhere read-only shared files such as postfix-files live\n" +
  "milter_command_timeout\tTime limit for a milter to answer an ordinary command\n" +
  "milter_connect_macros\tMacros sent to milters when a client connects\n" +
  "milter_connect_timeout\tTime allowed to open a connection to a milter\n" +
  "milter_content_timeout\tTime limit for a milter to accept message content\n" +
  "milter_data_macros\tMacros sent to milters after the DATA command\n" +
  "milter_default_action\tWhat happens to mail when a milter is unavailable or misconfigured\n" +
  "milter_end_of_data_macros\tMacros sent to milters at the end of the message\n" +
  "milter_end_of_header_macros\tMacros sent to milters at the end of the headers\n" +
  "milter_header_checks\tHeader checks applied to headers that milters add\n" +
  "milter_helo_macros\tMacros sent to milters after HELO/EHLO\n" +
  "milter_macro_daemon_name\tValue of the {daemon_name} milter macro\n" +
  "milter_macro_defaults\tDefault values for milter macros Postfix cannot otherwise supply\n" +
  "milter_macro_v\tValue of the {v} milter macro\n" +
  "milter_mail_macros\tMacros sent to milters after MAIL FROM\n" +
  "milter_protocol\tSendmail milter protocol version to speak\n" +
  "milter_rcpt_macros\tMacros sent to milters after RCPT TO\n" +
  "milter_unknown_command_macros\tMacros sent to milters after an unknown SMTP command\n" +
  "mime_boundary_length_limit\tCharacters of a MIME boundary that are compared; longer ones are cut\n" +
  "mime_header_checks\tHeader checks for MIME headers; defaults to header_checks\n" +
  "mime_nesting_limit\tDeepest MIME multipart or message/rfc822 nesting examined\n" +
  "minimal_backoff_time\tShortest wait between delivery attempts of a deferred message\n" +
  "multi_instance_directories\tConfig directories of secondary instances (postmulti)\n" +
  "multi_instance_enable\tAllow a multi-instance manager to start and stop this instance\n" +
  "multi_instance_group\tGroup this instance belongs to (postmulti)\n" +
  "multi_instance_name\tName of this instance (postmulti)\n" +
  "multi_instance_wrapper\tWrapper that postfix(1) calls to manage multiple instances\n" +
  "multi_recipient_bounce_reject_code\tSMTP reply code for reject_multi_recipient_bounce\n" +
  "mydestination\tDomains this host delivers to with the local transport\n" +
  "mydomain\tInternet domain of this host\n" +
  "myhostname\tFully qualified host name of this machine\n" +
  "mynetworks\tTrusted client networks that may relay mail\n" +
  "mynetworks_style\tHow mynetworks is derived by default: host, subnet or class\n" +
  "myorigin\tDomain appended to mail from this host\n" +
  "nested_header_checks\tHeader checks for headers of attached messages; defaults to header_checks\n" +
  "newaliases_path\tPath of the Sendmail-compatible newaliases command\n" +
  "non_fqdn_reject_code\tSMTP reply code for reject_non_fqdn_* restrictions\n" +
  "non_smtpd_milters\tMilters for mail that does not arrive via smtpd (sendmail, qmqpd)\n" +
  "notify_classes\tKinds of trouble reported to the postmaster\n" +
  "openssl_path\tPath of the openssl command used by postfix tls\n" +
  "owner_request_special\tGive owner-x and x-request addresses special handling\n" +
  "parent_domain_matches_subdomains\tFeatures in which a domain name also matches its subdomains\n" +
  "permit_mx_backup_networks\tNetworks whose primary MX hosts permit_mx_backup trusts\n" +
  "pickup_service_name\tName of the pickup(8) service\n" +
  "pipe_delivery_status_filter\tDelivery status filter for the pipe(8) delivery agent\n" +
  "plaintext_reject_code\tSMTP reply code for rejecting AUTH without TLS\n" +
  "postlog_service_name\tName of the postlogd(8) logging service\n" +
  "postlogd_watchdog_timeout\tTime postlogd(8) may take on one request before it aborts\n" +
  "postmulti_control_commands\tpostfix(1) commands postmulti sends only to enabled, running instances\n" +
  "postmulti_start_commands\tpostfix(1) commands that postmulti treats as \"start\"\n" +
  "postmulti_stop_commands\tpostfix(1) commands that postmulti treats as \"stop\"\n" +
  "postscreen_access_list\tPermanent allow/deny list that postscreen checks first for each client IP\n" +
  "postscreen_allowlist_interfaces\tLocal addresses on which clients can earn postscreen's temporary allowlisting\n" +
  "postscreen_bare_newline_action\tWhat postscreen does with a client that sends a bare LF\n" +
  "postscreen_bare_newline_enable\tEnable postscreen's after-greeting test for bare LF line endings\n" +
  "postscreen_bare_newline_ttl\tHow long a client that passed the bare-LF test stays trusted\n" +
  "postscreen_cache_cleanup_interval\tHow often postscreen purges expired entries from its cache\n" +
  "postscreen_cache_map\tPersistent cache of postscreen test results\n" +
  "postscreen_cache_retention_time\tHow long an expired postscreen cache entry is kept\n" +
  "postscreen_client_connection_count_limit\tMost connections one client may have open to postscreen\n" +
  "postscreen_command_count_limit\tMost commands postscreen's built-in SMTP protocol engine accepts\n" +
  "postscreen_command_filter\tTable that rewrites client commands for postscreen; defaults to smtpd's\n" +
  "postscreen_command_time_limit\tTime limit for postscreen to receive one client command\n" +
  "postscreen_denylist_action\tWhat postscreen does with a client denied by postscreen_access_list\n" +
  "postscreen_disable_vrfy_command\tTurn off VRFY in postscreen's built-in SMTP protocol engine\n" +
  "postscreen_discard_ehlo_keyword_address_maps\tPer-client tables of EHLO keywords postscreen does not announce\n" +
  "postscreen_discard_ehlo_keywords\tEHLO keywords postscreen does not announce\n" +
  "postscreen_dnsbl_action\tWhat postscreen does with a client whose DNSBL score is too high\n" +
  "postscreen_dnsbl_allowlist_threshold\tDNSBL score at or below which postscreen allowlists a client\n" +
  "postscreen_dnsbl_max_ttl\tLongest time a passed DNSBL test stays valid\n" +
  "postscreen_dnsbl_min_ttl\tShortest time a passed DNSBL test stays valid\n" +
  "postscreen_dnsbl_reply_map\tMaps secret DNSBL domains to the names shown in rejections\n" +
  "postscreen_dnsbl_sites\tDNS blocklists postscreen queries, with optional filters and weights\n" +
  "postscreen_dnsbl_threshold\tDNSBL score at which postscreen takes postscreen_dnsbl_action\n" +
  "postscreen_dnsbl_timeout\tTime limit for postscreen's DNSBL lookups\n" +
  "postscreen_enforce_tls\tObsolete: require STARTTLS in postscreen's SMTP engine\n" +
  "postscreen_expansion_filter\tCharacters allowed in $name expansions of postscreen reply text\n" +
  "postscreen_forbidden_commands\tCommands that postscreen treats as non-SMTP traffic\n" +
  "postscreen_greet_action\tWhat postscreen does with a client that talks before its turn\n" +
  "postscreen_greet_banner\tText of postscreen's teaser 220- banner; empty disables it\n" +
  "postscreen_greet_ttl\tHow long a client that passed the pregreet test stays trusted\n" +
  "postscreen_greet_wait\tHow long postscreen waits for a client to talk out of turn\n" +
  "postscreen_helo_required\tRequire HELO/EHLO in postscreen's SMTP engine\n" +
  "postscreen_non_smtp_command_action\tWhat postscreen does with a client that sends non-SMTP commands\n" +
  "postscreen_non_smtp_command_enable\tEnable postscreen's after-greeting test for non-SMTP commands\n" +
  "postscreen_non_smtp_command_ttl\tHow long a client that passed the non-SMTP test stays trusted\n" +
  "postscreen_pipelining_action\tWhat postscreen does with a client that pipelines without permission\n" +
  "postscreen_pipelining_enable\tEnable postscreen's after-greeting test for illegal pipelining\n" +
  "postscreen_pipelining_ttl\tHow long a client that passed the pipelining test stays trusted\n" +
  "postscreen_post_queue_limit\tMost clients waiting to be handed to a real SMTP server process\n" +
  "postscreen_pre_queue_limit\tMost unallowlisted clients waiting for a postscreen verdict\n" +
  "postscreen_reject_footer\tText appended to postscreen reject replies\n" +
  "postscreen_reject_footer_maps\tTables of text appended to postscreen reject replies\n" +
  "postscreen_tls_security_level\tTLS level of postscreen's built-in SMTP protocol engine\n" +
  "postscreen_upstream_proxy_protocol\tProxy protocol postscreen expects from an upstream proxy (haproxy)\n" +
  "postscreen_upstream_proxy_timeout\tTime limit for receiving the upstream proxy's protocol header\n" +
  "postscreen_use_tls\tObsolete: offer STARTTLS in postscreen's SMTP engine\n" +
  "postscreen_watchdog_timeout\tTime postscreen may take on one event before it aborts\n" +
  "prepend_delivered_header\tDelivery kinds for which local(8) prepends Delivered-To\n" +
  "process_id\tProcess ID of the running program (read-only)\n" +
  "process_id_directory\tDirectory for pid files, relative to queue_directory\n" +
  "process_name\tName of the running program (read-only)\n" +
  "propagate_unmatched_extensions\tLookups that carry an address extension over to the rewritten address\n" +
  "proxy_interfaces\tAddresses where mail is received through a proxy or NAT\n" +
  "proxy_read_maps\tTables proxymap(8) may open for reading\n" +
  "proxy_write_maps\tTables proxymap(8) may open for writing\n" +
  "proxymap_service_name\tName of the read-only proxymap(8) service\n" +
  "proxywrite_service_name\tName of the read-write proxymap(8) service\n" +
  "qmgr_clog_warn_time\tLeast time between warnings about a destination clogging the active queue\n" +
  "qmgr_daemon_timeout\tTime the queue manager may spend on one request before it aborts\n" +
  "qmgr_fudge_factor\toqmgr: percent of delivery resources a large message may take\n" +
  "qmgr_ipc_timeout\tTime limit for the queue manager's talks with delivery agents\n" +
  "qmgr_message_active_limit\tMost messages in the active queue\n" +
  "qmgr_message_recipient_limit\tMost recipients the queue manager keeps in memory\n" +
  "qmgr_message_recipient_minimum\tFewest in-memory recipients any message may have\n" +
  "qmqpd_authorized_clients\tClients allowed to use the QMQP service\n" +
  "qmqpd_client_port_logging\tLog the client port number in qmqpd(8) logs\n" +
  "qmqpd_error_delay\tPause before qmqpd(8) answers with an error\n" +
  "qmqpd_timeout\tTime limit for qmqpd(8) to send or receive data\n" +
  "queue_directory\tRoot of the Postfix queue\n" +
  "queue_file_attribute_count_limit\tMost name=value attributes cleanup(8) stores in one queue file\n" +
  "queue_minfree\tFree bytes the queue file system must keep before mail is accepted\n" +
  "queue_run_delay\tHow often the queue manager scans the deferred queue\n" +
  "queue_service_name\tName of the qmgr(8) queue manager service\n" +
  "rbl_reply_maps\tTables with per-blocklist reply templates\n" +
  "readme_directory\tWhere the README files are installed\n" +
  "receive_override_options\tTurn off processing steps (checks, rewriting) for received mail\n" +
  "recipient_bcc_maps\tPer-recipient tables of addresses that get a blind copy\n" +
  "recipient_canonical_classes\tWhich recipient addresses recipient_canonical_maps rewrite\n" +
  "recipient_canonical_maps\tTables that rewrite recipient addresses only\n" +
  "recipient_delimiter\tCharacters that separate a user name from its extension\n" +
  "reject_code\tSMTP reply code for the \"reject\" restriction\n" +
  "reject_tempfail_action\tWhat to do when a reject_* restriction fails temporarily\n" +
  "relay_clientcerts\tTLS client certificate fingerprints allowed to relay\n" +
  "relay_domains\tDomains this host relays mail to\n" +
  "relay_domains_reject_code\tSMTP reply code for relaying denied\n" +
  "relay_recipient_maps\tValid recipients in relay_domains; others are rejected\n" +
  "relay_transport\tTransport for domains in relay_domains\n" +
  "relayhost\tNext-hop host for non-local mail; empty means direct delivery\n" +
  "relocated_maps\tTables of \"user has moved\" information\n" +
  "remote_header_rewrite_domain\tDomain added to incomplete header addresses from remote clients\n" +
  "require_home_directory\tRequire the recipient's home directory before local(8) delivers\n" +
  "reset_owner_alias\tForget the owner alias when delivering to a child alias that has none of its own\n" +
  "resolve_dequoted_address\tResolve addresses in unquoted form (security-relevant for user@a@b)\n" +
  "resolve_null_domain\tResolve user@ as a local address instead of rejecting it\n" +
  "resolve_numeric_domain\tTreat user@ipaddress as user@[ipaddress] instead of rejecting it\n" +
  "respectful_logging\tAvoid words in logs that reinforce negative stereotypes\n" +
  "rewrite_service_name\tName of the trivial-rewrite(8) address rewriting service\n" +
  "sample_directory\tWhere sample configuration files are installed\n" +
  "send_cyrus_sasl_authzid\tSend the SASL authorization ID with Cyrus SASL in the SMTP client\n" +
  "sender_bcc_maps\tPer-sender tables of addresses that get a blind copy\n" +
  "sender_canonical_classes\tWhich sender addresses sender_canonical_maps rewrite\n" +
  "sender_canonical_maps\tTables that rewrite sender addresses only\n" +
  "sender_dependent_default_transport_maps\tPer-sender overrides of default_transport\n" +
  "sender_dependent_relayhost_maps\tPer-sender overrides of relayhost\n" +
  "sendmail_fix_line_endings\tWhen sendmail turns bare LF into CRLF: always, strict or never\n" +
  "sendmail_path\tPath of the Sendmail-compatible sendmail command\n" +
  "service_name\tmaster.cf name of the running service (read-only; set at run time)\n" +
  "service_throttle_time\tWait before master(8) forks again a service that seems to malfunction\n" +
  "setgid_group\tGroup that postdrop and postqueue run as\n" +
  "shlib_directory\tWhere Postfix shared libraries and plug-ins are installed\n" +
  "show_user_unknown_table_name\tName the lookup table in \"User unknown\" replies\n" +
  "showq_service_name\tName of the showq(8) queue listing service\n" +
  "smtp_address_preference\tWhich address family the SMTP client tries first: ipv4, ipv6 or any\n" +
  "smtp_address_verify_target\tSMTP stage that decides a verification probe's outcome: rcpt or data\n" +
  "smtp_always_send_ehlo\tSend EHLO even when the server greeting does not mention ESMTP\n" +
  "smtp_balance_inet_protocols\tMix IPv4 and IPv6 addresses before the SMTP client applies its address limit\n" +
  "smtp_bind_address\tLocal IPv4 address for outgoing SMTP connections\n" +
  "smtp_bind_address6\tLocal IPv6 address for outgoing SMTP connections\n" +
  "smtp_bind_address_enforce\tDefer delivery when the SMTP client cannot bind its source address\n" +
  "smtp_body_checks\tBody checks the SMTP client applies to outgoing mail\n" +
  "smtp_cname_overrides_servername\tLet a CNAME replace the server name used for SMTP TLS checks and logs\n" +
  "smtp_connect_timeout\tTime limit for the SMTP client to complete a TCP connection\n" +
  "smtp_connection_cache_destinations\tDestinations for which the SMTP client always caches connections\n" +
  "smtp_connection_cache_on_demand\tCache SMTP connections to destinations that have a backlog\n" +
  "smtp_connection_cache_time_limit\tHow long an unused SMTP connection stays cached\n" +
  "smtp_connection_reuse_count_limit\tMost deliveries per cached SMTP connection; 0 means no limit\n" +
  "smtp_connection_reuse_time_limit\tLongest total time an SMTP connection may be reused\n" +
  "smtp_data_done_timeout\tTime limit for the SMTP server reply after the final dot\n" +
  "smtp_data_init_timeout\tTime limit for the SMTP server reply to DATA\n" +
  "smtp_data_xfer_timeout\tTime limit for transmitting the message content to the SMTP server\n" +
  "smtp_defer_if_no_mx_address_found\tDefer instead of trying A records when MX hosts have no address\n" +
  "smtp_delivery_status_filter\tDelivery status filter for the SMTP client\n" +
  "smtp_discard_ehlo_keyword_address_maps\tPer-server tables of EHLO keywords the SMTP client ignores\n" +
  "smtp_discard_ehlo_keywords\tEHLO keywords the SMTP client ignores\n" +
  "smtp_dns_reply_filter\tPattern table that edits DNS replies the SMTP client receives\n" +
  "smtp_dns_resolver_options\tResolver flags for the SMTP client's DNS lookups\n" +
  "smtp_dns_support_level\tSMTP client DNS use: disabled, enabled or dnssec\n" +
  "smtp_enforce_tls\tObsolete: require verified TLS in the SMTP client\n" +
  "smtp_fallback_relay\tRelays to try when the SMTP client cannot reach a destination\n" +
  "smtp_generic_maps\tTables that rewrite addresses in mail the SMTP client sends\n" +
  "smtp_header_checks\tHeader checks the SMTP client applies to outgoing mail\n" +
  "smtp_helo_name\tHost name the SMTP client sends in HELO/EHLO\n" +
  "smtp_helo_timeout\tTime limit for the SMTP greeting and the HELO/EHLO reply\n" +
  "smtp_host_lookup\tHow the SMTP client finds server addresses: dns, native or both\n" +
  "smtp_line_length_limit\tLongest line the SMTP client sends before folding it\n" +
  "smtp_mail_timeout\tTime limit for the SMTP server reply to MAIL FROM\n" +
  "smtp_mime_header_checks\tMIME header checks the SMTP client applies to outgoing mail\n" +
  "smtp_min_data_rate\tLowest SMTP DATA rate (bytes/s) when per-request deadlines are on\n" +
  "smtp_mx_address_limit\tMost server addresses the SMTP client tries per delivery\n" +
  "smtp_mx_session_limit\tMost SMTP sessions per delivery before giving up or falling back\n" +
  "smtp_nested_header_checks\tAttached-message header checks the SMTP client applies\n" +
  "smtp_never_send_ehlo\tNever send EHLO, only HELO\n" +
  "smtp_per_request_deadline\tMake SMTP client timeouts cover a whole request instead of each I/O\n" +
  "smtp_pix_workaround_delay_time\tPause before sending the final dot to a server with the PIX bug\n" +
  "smtp_pix_workaround_maps\tPer-destination PIX firewall workarounds for the SMTP client\n" +
  "smtp_pix_workaround_threshold_time\tMessage queue age at which the SMTP client enables PIX workarounds\n" +
  "smtp_pix_workarounds\tPIX firewall workarounds the SMTP client applies\n" +
  "smtp_quit_timeout\tTime limit for the SMTP server reply to QUIT\n" +
  "smtp_quote_rfc821_envelope\tQuote SMTP envelope addresses that need it\n" +
  "smtp_randomize_addresses\tShuffle SMTP server addresses of equal preference\n" +
  "smtp_rcpt_timeout\tTime limit for the SMTP server reply to RCPT TO\n" +
  "smtp_reply_filter\tPattern table that edits SMTP server replies before use\n" +
  "smtp_rset_timeout\tTime limit for the SMTP server reply to RSET\n" +
  "smtp_sasl_auth_cache_name\tTable that remembers SMTP SASL login failures\n" +
  "smtp_sasl_auth_cache_time\tHow long an SMTP SASL login failure is remembered\n" +
  "smtp_sasl_auth_enable\tUse SASL authentication in the SMTP client\n" +
  "smtp_sasl_auth_soft_bounce\tTreat SMTP SASL login failures as temporary\n" +
  "smtp_sasl_mechanism_filter\tWhich server SASL mechanisms the SMTP client may use\n" +
  "smtp_sasl_password_maps\tPer-destination SMTP client SASL user names and passwords\n" +
  "smtp_sasl_path\tSMTP client SASL plug-in specific path or configuration name\n" +
  "smtp_sasl_security_options\tSMTP client SASL mechanism restrictions without TLS\n" +
  "smtp_sasl_tls_security_options\tSMTP client SASL mechanism restrictions with unverified TLS\n" +
  "smtp_sasl_tls_verified_security_options\tSMTP client SASL mechanism restrictions with verified TLS\n" +
  "smtp_sasl_type\tSASL plug-in type for the SMTP client\n" +
  "smtp_send_dummy_mail_auth\tAdd AUTH=<> to MAIL FROM in authenticated SMTP sessions\n" +
  "smtp_send_xforward_command\tSend XFORWARD with the original client details when the SMTP server allows it\n" +
  "smtp_sender_dependent_authentication\tPick SMTP client SASL credentials by sender address\n" +
  "smtp_skip_5xx_greeting\tTry the next SMTP server when one greets with 5xx\n" +
  "smtp_skip_quit_response\tDo not wait for the SMTP server reply to QUIT\n" +
  "smtp_starttls_timeout\tTime limit for the SMTP client's TLS handshake\n" +
  "smtp_tcp_port\tDefault port for SMTP client connections\n" +
  "smtp_tls_CAfile\tFile of trusted CA certificates for verifying SMTP servers\n" +
  "smtp_tls_CApath\tDirectory of trusted CA certificates for verifying SMTP servers\n" +
  "smtp_tls_block_early_mail_reply\tDetect SMTP servers that answer injected commands (CVE-2009-3555)\n" +
  "smtp_tls_cert_file\tFile with the SMTP client's RSA certificate\n" +
  "smtp_tls_chain_files\tFiles with the SMTP client's private keys and certificate chains\n" +
  "smtp_tls_ciphers\tLowest cipher grade for opportunistic SMTP client TLS\n" +
  "smtp_tls_connection_reuse\tReuse TLS-protected SMTP connections through tlsproxy(8)\n" +
  "smtp_tls_dane_insecure_mx_policy\tTLS level for DANE-destination MX hosts found by an unsigned MX lookup\n" +
  "smtp_tls_dcert_file\tFile with the SMTP client's DSA certificate\n" +
  "smtp_tls_dkey_file\tFile with the SMTP client's DSA private key\n" +
  "smtp_tls_eccert_file\tFile with the SMTP client's ECDSA certificate\n" +
  "smtp_tls_eckey_file\tFile with the SMTP client's ECDSA private key\n" +
  "smtp_tls_enforce_peername\tObsolete: require a matching SMTP server name with enforced TLS\n" +
  "smtp_tls_exclude_ciphers\tCiphers excluded from all SMTP client TLS sessions\n" +
  "smtp_tls_fingerprint_cert_match\tSMTP server certificate fingerprints for the fingerprint level\n" +
  "smtp_tls_fingerprint_digest\tDigest for SMTP server certificate fingerprints\n" +
  "smtp_tls_force_insecure_host_tlsa_lookup\tLook up TLSA records even for SMTP hosts in unsigned zones\n" +
  "smtp_tls_key_file\tFile with the SMTP client's RSA private key\n" +
  "smtp_tls_loglevel\tAmount of SMTP client TLS logging\n" +
  "smtp_tls_mandatory_ciphers\tLowest cipher grade when SMTP client TLS is mandatory\n" +
  "smtp_tls_mandatory_exclude_ciphers\tCiphers excluded when SMTP client TLS is mandatory\n" +
  "smtp_tls_mandatory_protocols\tTLS protocol versions when SMTP client TLS is mandatory\n" +
  "smtp_tls_note_starttls_offer\tLog SMTP servers that offer STARTTLS when TLS is not used\n" +
  "smtp_tls_per_site\tObsolete per-destination SMTP client TLS policy table\n" +
  "smtp_tls_policy_maps\tPer-destination SMTP client TLS policy tables\n" +
  "smtp_tls_protocols\tTLS protocol versions for opportunistic SMTP client TLS\n" +
  "smtp_tls_scert_verifydepth\tDeepest SMTP server certificate chain that is verified\n" +
  "smtp_tls_secure_cert_match\tSMTP server names a certificate must match at the secure level\n" +
  "smtp_tls_security_level\tDefault SMTP client TLS level (none, may, encrypt, dane, verify, secure...)\n" +
  "smtp_tls_servername\tSNI name the SMTP client sends; empty sends none\n" +
  "smtp_tls_session_cache_database\tSMTP client TLS session cache shared via tlsmgr(8)\n" +
  "smtp_tls_session_cache_timeout\tLifetime of cached SMTP client TLS sessions\n" +
  "smtp_tls_trust_anchor_file\tFiles of trust anchors for SMTP server certificate checks\n" +
  "smtp_tls_verify_cert_match\tSMTP server names a certificate must match at the verify level\n" +
  "smtp_tls_wrappermode\tUse TLS from the start of the SMTP connection (port 465 style)\n" +
  "smtp_use_tls\tObsolete: use TLS when the SMTP server offers STARTTLS\n" +
  "smtp_xforward_timeout\tTime limit for the SMTP server reply to XFORWARD\n" +
  "smtpd_authorized_verp_clients\tClients allowed to request VERP delivery with XVERP\n" +
  "smtpd_authorized_xclient_hosts\tClients allowed to use the XCLIENT command\n" +
  "smtpd_authorized_xforward_hosts\tClients allowed to use the XFORWARD command\n" +
  "smtpd_banner\tText after the 220 code in the SMTP greeting\n" +
  "smtpd_client_auth_rate_limit\tMost AUTH commands per client per anvil time unit; 0 means no limit\n" +
  "smtpd_client_connection_count_limit\tMost simultaneous connections from one client; 0 means no limit\n" +
  "smtpd_client_connection_rate_limit\tMost connections per client per anvil time unit; 0 means no limit\n" +
  "smtpd_client_event_limit_exceptions\tClients exempt from the smtpd per-client count and rate limits\n" +
  "smtpd_client_message_rate_limit\tMost messages per client per anvil time unit; 0 means no limit\n" +
  "smtpd_client_new_tls_session_rate_limit\tMost new TLS sessions per client per anvil time unit; 0 means no limit\n" +
  "smtpd_client_port_logging\tLog the client port number along with its address\n" +
  "smtpd_client_recipient_rate_limit\tMost recipients per client per anvil time unit; 0 means no limit\n" +
  "smtpd_client_restrictions\tAccess restrictions applied when a client connects\n" +
  "smtpd_command_filter\tTable that rewrites client commands before smtpd acts on them\n" +
  "smtpd_data_restrictions\tAccess restrictions applied at the DATA command\n" +
  "smtpd_delay_open_until_valid_rcpt\tStart a mail transaction (queue file) only after a valid RCPT TO\n" +
  "smtpd_delay_reject\tWait until RCPT TO before applying client, HELO and sender restrictions\n" +
  "smtpd_discard_ehlo_keyword_address_maps\tPer-client tables of EHLO keywords smtpd does not announce\n" +
  "smtpd_discard_ehlo_keywords\tEHLO keywords smtpd does not announce\n" +
  "smtpd_dns_reply_filter\tPattern table that edits DNS replies smtpd receives\n" +
  "smtpd_end_of_data_restrictions\tAccess restrictions applied after the message content is received\n" +
  "smtpd_enforce_tls\tObsolete: require STARTTLS before mail is accepted\n" +
  "smtpd_error_sleep_time\tPause before smtpd answers with a 4xx or 5xx reply\n" +
  "smtpd_etrn_restrictions\tAccess restrictions applied to the ETRN command\n" +
  "smtpd_expansion_filter\tCharacters permitted in $name values expanded into RBL reply text\n" +
  "smtpd_forbid_bare_newline\tReject or disconnect clients that end lines with a bare LF\n" +
  "smtpd_forbid_bare_newline_exclusions\tClients exempt from smtpd_forbid_bare_newline\n" +
  "smtpd_forbid_bare_newline_reject_code\tSMTP reply code when a bare LF is refused\n" +
  "smtpd_forbid_unauth_pipelining\tDisconnect clients that pipeline commands without permission\n" +
  "smtpd_forbidden_commands\tCommands that make smtpd disconnect at once\n" +
  "smtpd_hard_error_limit\tErrors after which smtpd disconnects the client\n" +
  "smtpd_helo_required\tRequire HELO or EHLO before MAIL FROM\n" +
  "smtpd_helo_restrictions\tAccess restrictions applied to the HELO/EHLO command\n" +
  "smtpd_history_flush_threshold\tCommand history lines kept before a flush at EHLO, RSET or end of DATA\n" +
  "smtpd_junk_command_limit\tMost NOOP/VRFY/ETRN/RSET commands before they count as errors\n" +
  "smtpd_log_access_permit_actions\tPermit actions that smtpd logs like rejections\n" +
  "smtpd_milter_maps\tPer-client tables of milters to use instead of smtpd_milters\n" +
  "smtpd_milters\tMilters applied to mail that arrives via smtpd\n" +
  "smtpd_min_data_rate\tLowest DATA/BDAT rate (bytes/s) when per-request deadlines are on\n" +
  "smtpd_noop_commands\tCommands smtpd accepts with 250 and otherwise ignores\n" +
  "smtpd_null_access_lookup_key\tKey used for the null sender in smtpd access tables\n" +
  "smtpd_peername_lookup\tLook up and verify the client host name\n" +
  "smtpd_per_request_deadline\tMake smtpd_timeout cover a whole request instead of each read or write\n" +
  "smtpd_policy_service_default_action\tReply used when a policy server cannot be reached\n" +
  "smtpd_policy_service_max_idle\tIdle time after which smtpd closes a policy server connection\n" +
  "smtpd_policy_service_max_ttl\tLongest time smtpd keeps a policy server connection\n" +
  "smtpd_policy_service_policy_context\tValue of the policy_context attribute in policy requests\n" +
  "smtpd_policy_service_request_limit\tRequests per policy server connection; 0 means no limit\n" +
  "smtpd_policy_service_retry_delay\tPause between attempts to reach a policy server\n" +
  "smtpd_policy_service_timeout\tTime limit for a policy server conversation\n" +
  "smtpd_policy_service_try_limit\tAttempts to reach a policy server before giving up\n" +
  "smtpd_proxy_ehlo\tHost name smtpd sends in EHLO to a before-queue content filter\n" +
  "smtpd_proxy_filter\tBefore-queue content filter that smtpd forwards mail to\n" +
  "smtpd_proxy_options\tOptions for talking to a before-queue content filter\n" +
  "smtpd_proxy_timeout\tTime limit for talking to a before-queue content filter\n" +
  "smtpd_recipient_limit\tMost recipients smtpd accepts per message\n" +
  "smtpd_recipient_overshoot_limit\tRecipients over smtpd_recipient_limit allowed before each extra one is an error\n" +
  "smtpd_recipient_restrictions\tAccess restrictions applied to RCPT TO\n" +
  "smtpd_reject_footer\tText appended to smtpd 4xx and 5xx replies\n" +
  "smtpd_reject_footer_maps\tTables of text appended to smtpd 4xx and 5xx replies\n" +
  "smtpd_reject_unlisted_recipient\tReject recipients that no known-recipient table lists\n" +
  "smtpd_reject_unlisted_sender\tReject senders from our domains that no known-recipient table lists\n" +
  "smtpd_relay_before_recipient_restrictions\tApply smtpd_relay_restrictions before smtpd_recipient_restrictions\n" +
  "smtpd_relay_restrictions\tMail relay restrictions applied to RCPT TO\n" +
  "smtpd_restriction_classes\tNames of user-defined groups of access restrictions\n" +
  "smtpd_sasl_auth_enable\tOffer SASL authentication in the SMTP server\n" +
  "smtpd_sasl_authenticated_header\tRecord the SASL login name in the Received: header\n" +
  "smtpd_sasl_exceptions_networks\tClients to which smtpd does not offer AUTH\n" +
  "smtpd_sasl_local_domain\tSASL realm for authentication\n" +
  "smtpd_sasl_mechanism_filter\tWhich SASL mechanisms smtpd offers\n" +
  "smtpd_sasl_path\tSASL plug-in specific path or configuration name\n" +
  "smtpd_sasl_response_limit\tLongest SASL client response smtpd accepts\n" +
  "smtpd_sasl_security_options\tSASL mechanism restrictions for plaintext sessions\n" +
  "smtpd_sasl_service\tService name passed to the SASL plug-in\n" +
  "smtpd_sasl_tls_security_options\tSASL mechanism restrictions for TLS sessions\n" +
  "smtpd_sasl_type\tSASL plug-in type for the SMTP server (cyrus, dovecot)\n" +
  "smtpd_sender_login_maps\tWhich SASL login names may use which MAIL FROM addresses\n" +
  "smtpd_sender_restrictions\tAccess restrictions applied to MAIL FROM\n" +
  "smtpd_service_name\tInternal service that postscreen hands accepted clients to\n" +
  "smtpd_soft_error_limit\tErrors after which smtpd starts delaying its replies\n" +
  "smtpd_starttls_timeout\tTime limit for the server's TLS handshake\n" +
  "smtpd_timeout\tTime limit for smtpd to send a reply or receive a request\n" +
  "smtpd_tls_CAfile\tFile of trusted CA certificates for verifying client certificates\n" +
  "smtpd_tls_CApath\tDirectory of trusted CA certificates for verifying client certificates\n" +
  "smtpd_tls_always_issue_session_ids\tIssue TLS session IDs even without a session cache\n" +
  "smtpd_tls_ask_ccert\tAsk the client for a certificate\n" +
  "smtpd_tls_auth_only\tOffer AUTH only after STARTTLS\n" +
  "smtpd_tls_ccert_verifydepth\tDeepest client certificate chain that is verified\n" +
  "smtpd_tls_cert_file\tFile with the server's RSA certificate\n" +
  "smtpd_tls_chain_files\tFiles with the server's private keys and certificate chains\n" +
  "smtpd_tls_ciphers\tLowest cipher grade for opportunistic server TLS\n" +
  "smtpd_tls_dcert_file\tFile with the server's DSA certificate\n" +
  "smtpd_tls_dh1024_param_file\tFile with DH parameters for non-export ciphers\n" +
  "smtpd_tls_dh512_param_file\tFile with DH parameters for export ciphers\n" +
  "smtpd_tls_dkey_file\tFile with the server's DSA private key\n" +
  "smtpd_tls_eccert_file\tFile with the server's ECDSA certificate\n" +
  "smtpd_tls_eckey_file\tFile with the server's ECDSA private key\n" +
  "smtpd_tls_eecdh_grade\tCurve grade for ephemeral ECDH key exchange\n" +
  "smtpd_tls_exclude_ciphers\tCiphers excluded from all server TLS sessions\n" +
  "smtpd_tls_fingerprint_digest\tDigest for client certificate fingerprints\n" +
  "smtpd_tls_key_file\tFile with the server's RSA private key\n" +
  "smtpd_tls_loglevel\tAmount of server TLS logging\n" +
  "smtpd_tls_mandatory_ciphers\tLowest cipher grade when server TLS is mandatory\n" +
  "smtpd_tls_mandatory_exclude_ciphers\tCiphers excluded when server TLS is mandatory\n" +
  "smtpd_tls_mandatory_protocols\tTLS protocol versions when server TLS is mandatory\n" +
  "smtpd_tls_protocols\tTLS protocol versions for opportunistic server TLS\n" +
  "smtpd_tls_received_header\tRecord TLS protocol and cipher in the Received: header\n" +
  "smtpd_tls_req_ccert\tRequire a verified client certificate\n" +
  "smtpd_tls_security_level\tServer TLS level: none, may or encrypt\n" +
  "smtpd_tls_session_cache_database\tServer TLS session cache shared via tlsmgr(8)\n" +
  "smtpd_tls_session_cache_timeout\tLifetime of cached server TLS sessions\n" +
  "smtpd_tls_wrappermode\tServe TLS from the start of the connection (port 465 style)\n" +
  "smtpd_upstream_proxy_protocol\tProxy protocol smtpd expects from an upstream proxy (haproxy)\n" +
  "smtpd_upstream_proxy_timeout\tTime limit for receiving the upstream proxy's protocol header\n" +
  "smtpd_use_tls\tObsolete: offer STARTTLS to clients\n" +
  "smtputf8_autodetect_classes\tMail sources for which SMTPUTF8 need is detected automatically\n" +
  "smtputf8_enable\tEnable SMTPUTF8 (internationalized address) support\n" +
  "soft_bounce\tTurn permanent delivery failures into temporary ones (testing aid)\n" +
  "stale_lock_time\tAge after which a dotlock file is considered stale and removed\n" +
  "stress\tSet by master(8) to \"yes\" when a service is overloaded (read-only)\n" +
  "strict_7bit_headers\tReject mail with 8-bit text in headers\n" +
  "strict_8bitmime\tShorthand for strict_7bit_headers plus strict_8bitmime_body\n" +
  "strict_8bitmime_body\tReject 8-bit body content not declared as 8-bit\n" +
  "strict_mailbox_ownership\tRefuse delivery to a mailbox file not owned by its recipient\n" +
  "strict_mime_encoding_domain\tReject invalid Content-Transfer-Encoding values\n" +
  "strict_rfc821_envelopes\tRequire RFC 821 syntax for MAIL FROM and RCPT TO addresses\n" +
  "strict_smtputf8\tAccept UTF-8 addresses only in SMTPUTF8 sessions\n" +
  "sun_mailtool_compatibility\tObsolete: SUN mailtool compatible mailbox locking\n" +
  "swap_bangpath\tRewrite UUCP site!user into user@site\n" +
  "syslog_facility\tSyslog facility of Postfix log records\n" +
  "syslog_name\tPrefix of Postfix log records\n" +
  "tcp_windowsize\tTCP window size for SMTP and LMTP sockets; 0 keeps the system default\n" +
  "tls_append_default_CA\tAlso trust the OpenSSL default certificate authorities\n" +
  "tls_config_file\tOpenSSL configuration file: \"default\", \"none\" or a path\n" +
  "tls_config_name\tApplication name passed to OpenSSL configuration loading\n" +
  "tls_daemon_random_bytes\tRandom bytes a daemon asks tlsmgr(8) for to seed its PRNG\n" +
  "tls_dane_digests\tDigest algorithms accepted in DANE TLSA records, best first\n" +
  "tls_disable_workarounds\tOpenSSL bug workarounds to turn off\n" +
  "tls_eecdh_auto_curves\tCurves offered for ECDHE key exchange when the grade is auto\n" +
  "tls_eecdh_strong_curve\tCurve for the \"strong\" ECDHE grade\n" +
  "tls_eecdh_ultra_curve\tCurve for the \"ultra\" ECDHE grade\n" +
  "tls_export_cipherlist\tOpenSSL cipher list for the \"export\" grade\n" +
  "tls_fast_shutdown_enable\tDo not wait for the peer's close_notify when ending TLS\n" +
  "tls_high_cipherlist\tOpenSSL cipher list for the \"high\" grade\n" +
  "tls_legacy_public_key_fingerprints\tMigration aid: use the flawed public-key fingerprints of Postfix 2.9.0-2.9.5\n" +
  "tls_low_cipherlist\tOpenSSL cipher list for the \"low\" grade\n" +
  "tls_medium_cipherlist\tOpenSSL cipher list for the \"medium\" grade\n" +
  "tls_null_cipherlist\tOpenSSL cipher list for the \"null\" (no encryption) grade\n" +
  "tls_preempt_cipherlist\tLet the server's cipher order win in TLS negotiation\n" +
  "tls_random_bytes\tBytes tlsmgr(8) reads from tls_random_source per reseed\n" +
  "tls_random_exchange_name\tFile where tlsmgr(8) saves PRNG state across restarts\n" +
  "tls_random_prng_update_period\tHow often tlsmgr(8) saves its PRNG state to the exchange file\n" +
  "tls_random_reseed_period\tLongest time between reseeds of the tlsmgr(8) PRNG\n" +
  "tls_random_source\tEntropy source for tlsmgr(8)\n" +
  "tls_server_sni_maps\tTables of per-SNI-name server keys and certificates\n" +
  "tls_session_ticket_cipher\tCipher that protects TLS session tickets\n" +
  "tls_ssl_options\tOpenSSL SSL_OP_* options to set\n" +
  "tls_wildcard_matches_multiple_labels\tLet a wildcard certificate name match more than one label\n" +
  "tlsmgr_service_name\tName of the tlsmgr(8) TLS cache and PRNG service\n" +
  "tlsproxy_client_CAfile\ttlsproxy(8) client side: file of trusted CA certificates for verifying SMTP servers\n" +
  "tlsproxy_client_CApath\ttlsproxy(8) client side: directory of trusted CA certificates for verifying SMTP servers\n" +
  "tlsproxy_client_cert_file\ttlsproxy(8) client side: file with the SMTP client's RSA certificate\n" +
  "tlsproxy_client_chain_files\ttlsproxy(8) client side: files with the SMTP client's private keys and certificate chains\n" +
  "tlsproxy_client_dcert_file\ttlsproxy(8) client side: file with the SMTP client's DSA certificate\n" +
  "tlsproxy_client_dkey_file\ttlsproxy(8) client side: file with the SMTP client's DSA private key\n" +
  "tlsproxy_client_eccert_file\ttlsproxy(8) client side: file with the SMTP client's ECDSA certificate\n" +
  "tlsproxy_client_eckey_file\ttlsproxy(8) client side: file with the SMTP client's ECDSA private key\n" +
  "tlsproxy_client_enforce_tls\tObsolete: tlsproxy(8) client-side counterpart of smtp_enforce_tls\n" +
  "tlsproxy_client_fingerprint_digest\ttlsproxy(8) client side: digest for SMTP server certificate fingerprints\n" +
  "tlsproxy_client_key_file\ttlsproxy(8) client side: file with the SMTP client's RSA private key\n" +
  "tlsproxy_client_loglevel\ttlsproxy(8) client side: amount of SMTP client TLS logging\n" +
  "tlsproxy_client_loglevel_parameter\tName of the parameter that holds the tlsproxy(8) client-side log level\n" +
  "tlsproxy_client_per_site\tObsolete: tlsproxy(8) client-side counterpart of smtp_tls_per_site\n" +
  "tlsproxy_client_policy_maps\ttlsproxy(8) client side: per-destination TLS policy tables\n" +
  "tlsproxy_client_scert_verifydepth\ttlsproxy(8) client side: deepest SMTP server certificate chain that is verified\n" +
  "tlsproxy_client_security_level\ttlsproxy(8) client side: default TLS security level\n" +
  "tlsproxy_client_use_tls\tObsolete: tlsproxy(8) client-side counterpart of smtp_use_tls\n" +
  "tlsproxy_enforce_tls\tObsolete: tlsproxy(8) server-side counterpart of smtpd_enforce_tls\n" +
  "tlsproxy_service_name\tName of the tlsproxy(8) TLS proxy service\n" +
  "tlsproxy_tls_CAfile\ttlsproxy(8) server side: file of trusted CA certificates for verifying client certificates\n" +
  "tlsproxy_tls_CApath\ttlsproxy(8) server-side counterpart of smtpd_tls_CApath\n" +
  "tlsproxy_tls_always_issue_session_ids\ttlsproxy(8) server side: issue TLS session IDs even without a session cache\n" +
  "tlsproxy_tls_ask_ccert\ttlsproxy(8) server side: ask the client for a certificate\n" +
  "tlsproxy_tls_ccert_verifydepth\ttlsproxy(8) server side: deepest client certificate chain that is verified\n" +
  "tlsproxy_tls_cert_file\ttlsproxy(8) server side: file with the server's RSA certificate\n" +
  "tlsproxy_tls_chain_files\ttlsproxy(8) server side: files with the server's private keys and certificate chains\n" +
  "tlsproxy_tls_ciphers\ttlsproxy(8) server side: lowest cipher grade for opportunistic server TLS\n" +
  "tlsproxy_tls_dcert_file\ttlsproxy(8) server side: file with the server's DSA certificate\n" +
  "tlsproxy_tls_dh1024_param_file\ttlsproxy(8) server side: file with DH parameters for non-export ciphers\n" +
  "tlsproxy_tls_dh512_param_file\ttlsproxy(8) server side: file with DH parameters for export ciphers\n" +
  "tlsproxy_tls_dkey_file\ttlsproxy(8) server side: file with the server's DSA private key\n" +
  "tlsproxy_tls_eccert_file\ttlsproxy(8) server side: file with the server's ECDSA certificate\n" +
  "tlsproxy_tls_eckey_file\ttlsproxy(8) server side: file with the server's ECDSA private key\n" +
  "tlsproxy_tls_eecdh_grade\ttlsproxy(8) server side: curve grade for ephemeral ECDH key exchange\n" +
  "tlsproxy_tls_exclude_ciphers\ttlsproxy(8) server side: ciphers excluded from all server TLS sessions\n" +
  "tlsproxy_tls_fingerprint_digest\ttlsproxy(8) server side: digest for client certificate fingerprints\n" +
  "tlsproxy_tls_key_file\ttlsproxy(8) server side: file with the server's RSA private key\n" +
  "tlsproxy_tls_loglevel\ttlsproxy(8) server side: amount of server TLS logging\n" +
  "tlsproxy_tls_mandatory_ciphers\ttlsproxy(8) server side: lowest cipher grade when server TLS is mandatory\n" +
  "tlsproxy_tls_mandatory_exclude_ciphers\ttlsproxy(8) server side: ciphers excluded when server TLS is mandatory\n" +
  "tlsproxy_tls_mandatory_protocols\ttlsproxy(8) server side: TLS protocol versions when server TLS is mandatory\n" +
  "tlsproxy_tls_protocols\ttlsproxy(8) server side: TLS protocol versions for opportunistic server TLS\n" +
  "tlsproxy_tls_req_ccert\ttlsproxy(8) server side: require a verified client certificate\n" +
  "tlsproxy_tls_security_level\ttlsproxy(8) server side: server TLS level: none, may or encrypt\n" +
  "tlsproxy_use_tls\tObsolete: tlsproxy(8) server-side counterpart of smtpd_use_tls\n" +
  "tlsproxy_watchdog_timeout\tTime tlsproxy(8) may take on one event before it aborts\n" +
  "trace_service_name\tName of the service that records delivery traces\n" +
  "transport_maps\tTables that map recipients to transport and next hop\n" +
  "transport_retry_time\tWait before the queue manager retries a failing delivery transport\n" +
  "trigger_timeout\tTime limit for sending a wake-up trigger to a daemon\n" +
  "undisclosed_recipients_header\tHeader added when a message has no recipient headers\n" +
  "unknown_address_reject_code\tSMTP reply code for addresses whose domain does not resolve\n" +
  "unknown_address_tempfail_action\tWhat to do when reject_unknown_*_domain fails temporarily\n" +
  "unknown_client_reject_code\tSMTP reply code when the client name does not resolve\n" +
  "unknown_helo_hostname_tempfail_action\tWhat to do when reject_unknown_helo_hostname fails temporarily\n" +
  "unknown_hostname_reject_code\tSMTP reply code for unresolvable HELO host names\n" +
  "unknown_local_recipient_reject_code\tSMTP reply code for unknown local recipients\n" +
  "unknown_relay_recipient_reject_code\tSMTP reply code for unknown recipients in relay_domains\n" +
  "unknown_virtual_alias_reject_code\tSMTP reply code for unknown virtual alias recipients\n" +
  "unknown_virtual_mailbox_reject_code\tSMTP reply code for unknown virtual mailbox recipients\n" +
  "unverified_recipient_defer_code\tSMTP reply code when recipient verification is still pending\n" +
  "unverified_recipient_reject_code\tSMTP reply code when a recipient fails verification\n" +
  "unverified_recipient_reject_reason\tReply text when a recipient fails verification\n" +
  "unverified_recipient_tempfail_action\tWhat to do when recipient verification fails temporarily\n" +
  "unverified_sender_defer_code\tSMTP reply code when sender verification is still pending\n" +
  "unverified_sender_reject_code\tSMTP reply code when a sender fails verification\n" +
  "unverified_sender_reject_reason\tReply text when a sender fails verification\n" +
  "unverified_sender_tempfail_action\tWhat to do when sender verification fails temporarily\n" +
  "verp_delimiter_filter\tCharacters allowed as VERP delimiters\n" +
  "virtual_alias_address_length_limit\tLongest address that virtual alias expansion may produce\n" +
  "virtual_alias_domains\tDomains served only through virtual aliases\n" +
  "virtual_alias_expansion_limit\tMost addresses one virtual alias expansion may produce\n" +
  "virtual_alias_maps\tTables that redirect recipients in any domain\n" +
  "virtual_alias_recursion_limit\tDeepest nesting of virtual alias expansion\n" +
  "virtual_delivery_status_filter\tDelivery status filter for the virtual(8) delivery agent\n" +
  "virtual_gid_maps\tTables that give the group ID of each virtual mailbox\n" +
  "virtual_mailbox_base\tPrefix of every virtual(8) mailbox path\n" +
  "virtual_mailbox_domains\tDomains delivered by the virtual(8) mailbox agent\n" +
  "virtual_mailbox_limit\tLargest mailbox or maildir file virtual(8) writes; 0 means no limit\n" +
  "virtual_mailbox_lock\tLocking methods for virtual(8) UNIX-style mailboxes\n" +
  "virtual_mailbox_maps\tTables of valid virtual mailbox recipients and their paths\n" +
  "virtual_minimum_uid\tLowest user ID virtual(8) accepts from virtual_uid_maps\n" +
  "virtual_transport\tTransport for domains in virtual_mailbox_domains\n" +
  "virtual_uid_maps\tTables that give the user ID of each virtual mailbox\n";

const POSTKIT_DOCS: Record<string, string> = {
  postkit_dnsbl_error_answers: "postkit: fail_open treats blocklist answers that mean a failed query as no listing",
  postkit_resolv_conf: "postkit: resolv.conf file the SMTP client and DNS blocklist lookups read",
};

/** The description of a built-in parameter, or "". */
export function paramDescription(name: string): string {
  if (Object.hasOwn(POSTKIT_DOCS, name)) return POSTKIT_DOCS[name]!;
  const at = PARAM_DOCS.indexOf(`\n${name}\t`);
  if (at < 0) return "";
  const start = at + name.length + 2;
  return PARAM_DOCS.slice(start, PARAM_DOCS.indexOf("\n", start));
}
