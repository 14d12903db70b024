namespace LlmGateway.Admin.Auth;

/// <summary>How admins sign in and where session keys are kept (section <c>Admin</c>).</summary>
public sealed class AdminAuthOptions
{
    public const string Section = "Admin";

    /// <summary>An admin password accepted besides the master key; unset means the master key only.</summary>
    public string? Password { get; set; }

    /// <summary>Folder for data-protection keys when Redis is not configured; default <c>.keys</c> under the content root.</summary>
    public string? DataProtectionPath { get; set; }

    /// <summary>How long a session lasts without activity.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How often an open page re-checks that the secret its session signed in with is still the configured one.</summary>
    public TimeSpan SessionRevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);

    public OidcOptions Oidc { get; set; } = new();

    public ForwardedHeadersOptions ForwardedHeaders { get; set; } = new();

    public DataProtectionOptions DataProtection { get; set; } = new();

    /// <summary>How the stored data-protection keys (which sign and encrypt session cookies) are protected at rest.</summary>
    public sealed class DataProtectionOptions
    {
        /// <summary>Any long random string; each key is stored AES-256-GCM encrypted under a key derived from it.</summary>
        public string? KeyRingSecret { get; set; }

        /// <summary>Lets the admin start in Production without <see cref="KeyRingSecret"/> (keys stored in the clear).</summary>
        public bool AllowUnencryptedKeys { get; set; }
    }

    public SignInOptions SignIn { get; set; } = new();

    /// <summary>Failed sign-ins allowed per client address and for the account before a lockout (0 turns a limit off).</summary>
    public sealed class SignInOptions
    {
        public int MaxFailuresPerAddress { get; set; } = 5;
        public int MaxFailuresPerAccount { get; set; } = 20;
        public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
        public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);
    }

    /// <summary>Which proxies may say what the client's scheme and address were; both empty: loopback only.</summary>
    public sealed class ForwardedHeadersOptions
    {
        /// <summary>Proxy addresses (<c>10.0.0.4</c>); setting any replaces the loopback default.</summary>
        public List<string> KnownProxies { get; set; } = [];

        /// <summary>Proxy networks in CIDR form (<c>10.0.0.0/16</c>); setting any replaces the loopback default.</summary>
        public List<string> KnownNetworks { get; set; } = [];
    }

    public sealed class OidcOptions
    {
        /// <summary>Setting it turns single sign-on on.</summary>
        public string? Authority { get; set; }
        public string? ClientId { get; set; }
        public string? ClientSecret { get; set; }
        public string? DisplayName { get; set; }

        /// <summary>E-mail addresses allowed in (only when the provider's <c>email_verified</c> is true).</summary>
        public List<string> AllowedEmails { get; set; } = [];

        /// <summary>Groups allowed in (values of <see cref="GroupsClaim"/>, e.g. Entra ID group object ids).</summary>
        public List<string> AllowedGroups { get; set; } = [];

        /// <summary>The ID-token claim that lists the user's groups.</summary>
        public string GroupsClaim { get; set; } = "groups";

        public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
    }
}
