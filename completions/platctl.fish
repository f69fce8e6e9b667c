# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_platctl_global_optspecs
    string join \n server= token= context= tenant= o/output= no-headers y/yes no-color v/verbose h/help V/version
end

function __fish_platctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_platctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_platctl_using_subcommand
    set -l cmd (__fish_platctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c platctl -n "__fish_platctl_needs_command" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_needs_command" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_needs_command" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_needs_command" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_needs_command" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_needs_command" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_needs_command" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_needs_command" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_needs_command" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_needs_command" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "login" -d 'Log in and store the session\'s tokens in the current context'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "logout" -d 'End the context\'s session on the server and forget its tokens'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "whoami" -d 'Show who the current token belongs to, with roles and permissions'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "mfa" -d 'Second factors: enrol TOTP, see, remove; reset a user\'s'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "session" -d 'List and end sessions: your own, or a user\'s'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "context" -d 'Manage named contexts (server, tenant, tokens)'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "tenant" -d 'Manage tenants'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "user" -d 'Manage users, and import or export them in bulk'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "org" -d 'Manage organizations: a tree of companies, departments and teams, and their members'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "role" -d 'Manage roles and grant them to users'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "auth" -d 'Ask the server what a subject may do'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "service-account" -d 'Manage service accounts (client credentials for services)'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "token" -d 'Issue, verify and revoke tokens'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "keys" -d 'List and rotate the token signing keys'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "sync" -d 'Deliver events to targets: targets, tasks, the dead-letter queue, statistics'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "check" -d 'Check that targets hold what plat holds (and plat its own invariants); repair drift'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "service" -d 'Register services, follow their instances\' health, show the dependency graph and its layering'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "event" -d 'Read the event log (the outbox)'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "audit" -d 'Read the audit log'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "health" -d 'Show the health of every component; exit 4 when one is unhealthy'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "status" -d 'Show server version, uptime, counts and backlogs'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "top" -d 'Watch a running platd: request rates, sync throughput and backlog per target, checks, registry, process'
complete -c platctl -n "__fish_platctl_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c platctl -n "__fish_platctl_using_subcommand login" -s u -l username -d 'Username or email (prompted for on a terminal when absent)' -r
complete -c platctl -n "__fish_platctl_using_subcommand login" -l code -d 'The code of your second factor (six digits, or a recovery code), when your account has one; prompted for on a terminal when absent' -r
complete -c platctl -n "__fish_platctl_using_subcommand login" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand login" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand login" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand login" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand login" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand login" -l password-stdin -d 'Read the password from stdin instead of prompting'
complete -c platctl -n "__fish_platctl_using_subcommand login" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand login" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand login" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand login" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand login" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand logout" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l all -d 'End every session of this user, on every machine'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand logout" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -f -a "status" -d 'Show second factors: yours, or a user\'s (`--user`)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -f -a "enroll" -d 'Begin a TOTP enrolment: prints the secret and its otpauth:// URI for an authenticator app; then `platctl mfa confirm CODE`'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -f -a "confirm" -d 'Confirm the enrolment with a code from the app; prints the recovery codes, once: keep them somewhere safe'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -f -a "remove" -d 'Remove your second factors, or the one named by its ID from `mfa status` (a lost passkey); takes a fresh code, or a recovery code'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and not __fish_seen_subcommand_from status enroll confirm remove reset" -f -a "reset" -d 'Reset a user\'s second factors (an admin\'s call; asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l user -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from enroll" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from confirm" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l code -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l user -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l end-sessions -d 'End the user\'s sessions too, in the same change'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand mfa; and __fish_seen_subcommand_from reset" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -f -a "list" -d 'List live sessions: yours, or a user\'s (`--user`), newest first'
complete -c platctl -n "__fish_platctl_using_subcommand session; and not __fish_seen_subcommand_from list end" -f -a "end" -d 'End a session of yours by id, all your others (`--others`), or every session of a user (`--user`, asks first). Their tokens stop working'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l user -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l user -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l others
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand session; and __fish_seen_subcommand_from end" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -f -a "list" -d 'List the contexts; the current one is marked'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -f -a "use" -d 'Make NAME the current context'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -f -a "add" -d 'Add a context for the server given with --server (and --tenant)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and not __fish_seen_subcommand_from list use add remove" -f -a "remove" -d 'Remove a context and the tokens it holds'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from use" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand context; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "create" -d 'Create a tenant'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "list" -d 'List tenants'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "get" -d 'Show one tenant'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "update" -d 'Change a tenant\'s name or quota'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "suspend" -d 'Suspend a tenant: its users and services can no longer log in or get tokens'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "resume" -d 'Resume a suspended tenant'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "delete" -d 'Delete a tenant (asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and not __fish_seen_subcommand_from create list get update suspend resume delete quota" -f -a "quota" -d 'A tenant\'s quotas: users and any resource a service declares (docs/quotas.md)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l name -d 'Display name (default: the slug)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l max-users -d 'Largest number of users (default: unlimited)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l page -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l page-size -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l name -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l max-users -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l session-idle -d 'How long a session lives unused (`8h`); `""` restores the server\'s default' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l session-lifetime -d 'How long a session lives at most from its login (`7d`); `""` restores the default' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l mfa -d 'Second factors: `off` (nobody may enrol), `optional`, `required` (everyone must)' -r -f -a "off\t''
optional\t''
required\t''"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l mfa-role -d 'Under `optional`, holders of this role must have a second factor; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l no-mfa-roles -d 'No role needs a second factor beyond the policy'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from suspend" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from resume" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l cascade -d 'Also delete its users, roles and service accounts'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "list" -d 'Every quota of a tenant, with its usage'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "get" -d 'One quota'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "set" -d 'Declare a quota or change its limit, period or usage (platform admins)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "delete" -d 'Forget a declared quota and its reservations (asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "check" -d 'Would an amount more fit? Holds nothing'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "reserve" -d 'Hold an amount; prints the reservation id to commit or release'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "commit" -d 'Turn a reservation into usage, or use an amount at once'
complete -c platctl -n "__fish_platctl_using_subcommand tenant; and __fish_seen_subcommand_from quota" -f -a "release" -d 'Give back a reservation, or an amount of usage'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "create" -d 'Create a user (roles default to member)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "list" -d 'List users of the tenant'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "get" -d 'Show one user (by id or username)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "update" -d 'Change a user\'s email or profile'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "disable" -d 'Disable a user: no more logins, sessions ended'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "enable" -d 'Enable a disabled user'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "unlock" -d 'Unlock a user locked out by failed logins'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "delete" -d 'Delete a user (asks first): soft by default, --hard removes it'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "set-password" -d 'Set a user\'s password (prompted for on a terminal)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "import" -d 'Import users from an NDJSON or CSV file (by extension)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and not __fish_seen_subcommand_from create list get update disable enable unlock delete set-password import export" -f -a "export" -d 'Export the tenant\'s users to stdout'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l email -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l role -d 'Role to grant; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l org -d 'Organization (path or id) the user joins; repeat for several. An organization admin creates users this way, into its subtree' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l nickname -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l avatar-url -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l bio -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l password-stdin -d 'Read the password from stdin'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l generate-password -d 'Generate a password and print it once (on stderr)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l status -d 'active, disabled, locked' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l role -d 'Only users holding this role' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l search -d 'Part of the username or email' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l page -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l page-size -d 'Users per page (at most 500)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l all -d 'Every page, walked with a cursor'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l email -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l nickname -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l avatar-url -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l bio -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from disable" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from enable" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from unlock" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l hard -d 'Remove the user for good instead of marking it deleted'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l password-stdin -d 'Read the password from stdin'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l generate-password -d 'Generate a password and print it once (on stderr)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l keep-session -d 'Your own password: keep this CLI\'s session, end the others'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from set-password" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l dry-run -d 'Validate every line without writing anything'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l format -r -f -a "ndjson\t''
csv\t''"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand user; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "create" -d 'Create an organization: `acme` (a root) or `acme/engineering` (under acme)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "list" -d 'List organizations in tree order: all, the children of --parent, or those --member belongs to'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "get" -d 'Show one organization (by id or path)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "tree" -d 'Draw the tree below an organization (default: every tree of the tenant)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "update" -d 'Rename an organization or change its display name, type or metadata'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "move" -d 'Move an organization with everything below it'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "delete" -d 'Delete an organization (asks first); refused while it has sub-organizations or members'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "add-member" -d 'Make users members of an organization'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "remove-member" -d 'Remove a user from an organization'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "members" -d 'List members (with --recursive: of everything below too, each user once)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "grant" -d 'Grant a user a role on an organization: it holds there and below (`org-admin`, or any role)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "revoke" -d 'Revoke a role granted on an organization'
complete -c platctl -n "__fish_platctl_using_subcommand org; and not __fish_seen_subcommand_from create list get tree update move delete add-member remove-member members grant revoke roles" -f -a "roles" -d 'Roles that reach an organization: granted on it or above it'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l type -d '`company`, `department`, `team` (default), or any name of that form' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l display-name -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l meta -d 'Metadata `KEY=VALUE` (VALUE as JSON when it parses); repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l parent -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l member -d 'The organizations this user is a member of' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from tree" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l name -d 'New name (its path changes; its id does not)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l display-name -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l type -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l meta -d 'Replace the metadata: `KEY=VALUE`; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l to -d 'The new parent' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l root -d 'Make it a root'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from move" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l cascade -d 'Delete everything below it and every membership too'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from add-member" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from remove-member" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l limit -d 'At most this many (default: all, fetched in pages of 500)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -s r -l recursive
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from members" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from grant" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand org; and __fish_seen_subcommand_from roles" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "create" -d 'Create a role with its permissions (`users:read`, `sync:*`, ...)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "list" -d 'List the roles of the tenant, built-in ones included'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "get" -d 'Show one role'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "update" -d 'Add or remove permissions, or change the description'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "delete" -d 'Delete a role (asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "grant" -d 'Grant ROLE to USER'
complete -c platctl -n "__fish_platctl_using_subcommand role; and not __fish_seen_subcommand_from create list get update delete grant revoke" -f -a "revoke" -d 'Take ROLE from USER'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l permission -d 'Permission to include; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l permission-if -d 'A permission granted only when the check\'s context satisfies EXPR: `files:upload=context.file_size <= 10485760`; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l description -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l add-permission -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l remove-permission -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l permission-if -d 'Replace the conditional permissions: `P=EXPR`; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l description -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l no-conditions -d 'Remove every conditional permission'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from grant" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand role; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and not __fish_seen_subcommand_from can-i" -f -a "can-i" -d 'Whether you (or USER, or a service account) may do PERMISSION: prints yes or no, exits 0 or 1'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l as -d 'Ask about this user instead of yourself' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l as-service -d 'Ask about this service account' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l ctx -d 'The check\'s context, for roles\' conditions: `file_size=1024`, `folder=u1/docs` (a value that reads as JSON is taken as JSON); repeat for more. (`--context` is taken: it picks a platctl context, as kubectl\'s does.)' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l org -d 'The organization (path or id) the action is on: roles granted on it or above it count too' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand auth; and __fish_seen_subcommand_from can-i" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -f -a "create" -d 'Create a service account; its client secret is printed once'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -f -a "update" -d 'Change a service account\'s description or the event types it may publish'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -f -a "list" -d 'List service accounts'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -f -a "get" -d 'Show one service account'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -f -a "delete" -d 'Delete a service account (asks first); its tokens stop working'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and not __fish_seen_subcommand_from create update list get delete rotate-secret" -f -a "rotate-secret" -d 'Replace the client secret; the new one is printed once'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l role -d 'Role to grant; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l description -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l publishes -d 'Event types it may publish (`file.*`); repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l description -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l publishes -d 'Event types it may publish (`file.*`), replacing the list; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l no-publishes -d 'Withdraw every event type it may publish'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service-account; and __fish_seen_subcommand_from rotate-secret" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -f -a "issue" -d 'Issue an access token for a user or a service account (printed alone, for scripts)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -f -a "verify" -d 'Check a token (argument, or stdin when absent or `-`); exit 1 when inactive'
complete -c platctl -n "__fish_platctl_using_subcommand token; and not __fish_seen_subcommand_from issue verify revoke" -f -a "revoke" -d 'Revoke a token, a token by its id, or every session of a user (asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l user -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l service-account -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l ttl -d 'Lifetime (`15m`, `12h`), at most the server\'s auth.max_issued_ttl' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l scope -d 'Limit the token to this permission; repeat for several' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l audience -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from issue" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l jti -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l user -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand token; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -f -a "list" -d 'List signing keys (public parts)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and not __fish_seen_subcommand_from list rotate" -f -a "rotate" -d 'Make a new signing key; the old one verifies until its tokens expire'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -f -a "target" -d 'Manage delivery targets: HTTP webhooks, Redis keys, Redis streams'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -f -a "task" -d 'List, inspect, retry and cancel delivery tasks'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -f -a "dlq" -d 'The dead-letter queue: tasks that failed for good'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -f -a "stats" -d 'Delivery statistics of every target: counts, backlog, success rate, latency'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and not __fish_seen_subcommand_from target task dlq stats replay" -f -a "replay" -d 'Deliver the events of a time window to one target again (for a subscriber that lost its data), in order per aggregate'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "add" -d 'Add a target; the signing secret of an HTTP target is printed once'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "list" -d 'List targets'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "get" -d 'Show one target with its options'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "update" -d 'Change a target; a new secret is printed once'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "remove" -d 'Remove a target (asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "pause" -d 'Stop deliveries to a target; tasks keep collecting until it is resumed'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "resume" -d 'Resume a paused or disabled target'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from target" -f -a "test" -d 'Deliver a `sync.ping` now and show the answer; with --event, show what that event would become for the target instead (nothing is sent). Exit 1 when it was not (or would not be) delivered'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -f -a "list" -d 'List delivery tasks'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -f -a "get" -d 'Show one task with every attempt'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -f -a "retry" -d 'Attempt a failed or dead task again now'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from task" -f -a "cancel" -d 'Cancel a task that is not yet delivered'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -f -a "list" -d 'List dead tasks'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -f -a "replay" -d 'Deliver dead tasks again: the given ids, else every dead task (of --target)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from dlq" -f -a "purge" -d 'Delete dead tasks for good (asks first): the given ids, else every dead task (of --target)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from stats" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l target -d 'The target to deliver to' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l since -d 'Start of the window: a duration back from now (`2h`) or an RFC 3339 time' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l until -d 'End of the window (exclusive); default now' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l type -d 'Only events of this type pattern (repeat for more); default every type the target takes' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand sync; and __fish_seen_subcommand_from replay" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -f -a "run" -d 'Check targets (and/or plat itself) and wait for the result; exit 3 on drift, even after --repair'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -f -a "list" -d 'List checks, newest first'
complete -c platctl -n "__fish_platctl_using_subcommand check; and not __fish_seen_subcommand_from run list get" -f -a "get" -d 'Show a check: its targets, counts and first findings'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l target -d 'Check this target' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l mode -d 'How HTTP targets are read back: the digest when offered, else paging (auto), or forced' -r -f -a "auto\t''
digest\t''
paging\t''"
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l all -d 'Check every target that can be checked (read back, user events, not a stream)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l internal -d 'Check plat\'s own invariants: profiles, stats, role grants, usage counters, tasks of events'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l repair -d 'Repair what is found: enqueue repair tasks for targets, fix plat\'s own rows'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l dry-run -d 'With --repair: report what would be repaired, change nothing'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l no-wait -d 'Print the check\'s id and exit without waiting. The check runs on the server either way: Ctrl-C while waiting stops only the wait (follow it with `platctl check get ID`)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l target -d 'Only checks that included this target' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l status -d 'Only checks in this state' -r -f -a "running\t''
succeeded\t''
failed\t''"
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l limit -d 'At most this many checks (at most 500)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l findings -d 'Instead, list every finding of the check'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand check; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -f -a "register" -d 'Register a service, or replace its registration (idempotent: the same flags again change nothing)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -f -a "list" -d 'List registered services with their health and layering verdicts'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -f -a "get" -d 'Show one registration'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -f -a "deregister" -d 'Deregister a service and forget its instances (asks first)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -f -a "instances" -d 'List a service\'s instances with their health; --watch follows changes'
complete -c platctl -n "__fish_platctl_using_subcommand service; and not __fish_seen_subcommand_from register list get deregister instances graph" -f -a "graph" -d 'The dependency graph: one line per dependency with its layering verdict, then cycles; `-o dot` prints Graphviz'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -s n -l namespace -d 'The service\'s namespace (default: default)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l endpoint -d 'An address plat probes (`http://10.0.0.5:8001`); repeat for more. None for a service whose instances join by heartbeat' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l health-path -d 'Path (and query) of the HTTP health check (default /health)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l interval -d 'Time between probes of one endpoint, 1s to 1h (default 10s)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l timeout -d 'Time a probe may take, less than the interval (default 2s)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l version -d 'The service\'s own version (`1.4.2`)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l layer -d 'The service\'s layer (by default one of infrastructure, core, business, application)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l depends-on -d 'A service this one calls: a name in the same namespace or `namespace/name`; repeat for more' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l tag -d 'A tag (`team=shop`); repeat for more' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l visible-to -d 'Only this tenant\'s callers (and platform admins) see the service; by default every tenant does' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l tcp -d 'Probe with a TCP connection instead of an HTTP GET'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l dry-run -d 'Show what would be stored, with the layering verdict; store nothing'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from register" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -s n -l namespace -d 'The service\'s namespace (default: default)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -s n -l namespace -d 'The service\'s namespace (default: default)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from deregister" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s n -l namespace -d 'The service\'s namespace (default: default)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l healthy -d 'Only instances whose health checks pass'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s w -l watch -d 'Print the instances again on every change (blocking discovery queries) until Ctrl-C'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from instances" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand service; and __fish_seen_subcommand_from graph" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -f -a "list" -d 'List outbox events, newest first'
complete -c platctl -n "__fish_platctl_using_subcommand event; and not __fish_seen_subcommand_from list publish" -f -a "publish" -d 'Publish an event as a service account (its token in --token or PLATCTL_TOKEN)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l type -d 'Event type or pattern: `user.*`, `tenant.created`' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l user -d 'Only events of this user (id or username)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l since -d 'Since a time (RFC 3339) or for a duration back (`1h`)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l limit -d 'At most this many events (at most 500)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l data -d 'The event\'s data: JSON, `@FILE`, or `-` for stdin' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l aggregate -d 'Deliver in order with the other events of this aggregate: `KIND/ID` (`file/f_123`)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l user -d 'The user the event concerns (an id)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l idempotency-key -d 'A retry with the same key returns the first event instead of publishing twice' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l correlation-id -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand event; and __fish_seen_subcommand_from publish" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and not __fish_seen_subcommand_from list" -f -a "list" -d 'List audit records, newest first'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l actor -d 'Actor: `username@tenant` or `service:name@tenant`' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l action -d 'Action or pattern: `user.create`, `auth.*`' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l since -d 'Since a time (RFC 3339) or for a duration back (`1h`)' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l limit -d 'At most this many records (at most 500)' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand audit; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand health" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand health" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand health" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand health" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand health" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand health" -s w -l watch -d 'Redraw every 2 seconds until interrupted'
complete -c platctl -n "__fish_platctl_using_subcommand health" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand health" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand health" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand health" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand health" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand status" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand status" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand status" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand status" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand status" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand status" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand status" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand status" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand status" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand status" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand top" -s n -l interval -d 'Time between frames (`2s`, `500ms`)' -r
complete -c platctl -n "__fish_platctl_using_subcommand top" -l frames -d 'Draw this many frames and exit; 0 runs until Ctrl-C' -r
complete -c platctl -n "__fish_platctl_using_subcommand top" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand top" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand top" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand top" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand top" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand top" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand top" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand top" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand top" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand top" -s V -l version -d 'Print version'
complete -c platctl -n "__fish_platctl_using_subcommand completion" -l server -d 'Server URL (default: the context\'s, else http://127.0.0.1:8700)' -r
complete -c platctl -n "__fish_platctl_using_subcommand completion" -l token -d 'Access token to use instead of the context\'s' -r
complete -c platctl -n "__fish_platctl_using_subcommand completion" -l context -d 'Context to use instead of the current one' -r
complete -c platctl -n "__fish_platctl_using_subcommand completion" -l tenant -d 'Tenant to act in (platform admins may name any tenant)' -r
complete -c platctl -n "__fish_platctl_using_subcommand completion" -s o -l output -d 'Output format (`dot`: only `service graph`)' -r -f -a "table\t'Aligned columns'
wide\t'The table with more columns'
json\t'The `data` object of the API (lists as arrays)'
yaml\t'The same as YAML'
name\t'One identifier a line'
dot\t'Graphviz DOT (only `service graph`; other commands refuse it)'"
complete -c platctl -n "__fish_platctl_using_subcommand completion" -l no-headers -d 'Print tables without their header row'
complete -c platctl -n "__fish_platctl_using_subcommand completion" -s y -l yes -d 'Skip confirmations of destructive commands'
complete -c platctl -n "__fish_platctl_using_subcommand completion" -l no-color -d 'Never colour output (also: the NO_COLOR environment variable)'
complete -c platctl -n "__fish_platctl_using_subcommand completion" -s v -l verbose -d 'Say more on stderr (token refreshes, reasons of decisions)'
complete -c platctl -n "__fish_platctl_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c platctl -n "__fish_platctl_using_subcommand completion" -s V -l version -d 'Print version'
