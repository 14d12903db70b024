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

    public OidcOptions Oidc { get; set; } = new();

    public sealed class OidcOptions
    {
        /// <summary>Setting it turns single sign-on on.</summary>
        public string? Authority { get; set; }
        public string? ClientId { get; set; }
        public string? ClientSecret { get; set; }
        public string? DisplayName { get; set; }

        /// <summary>E-mail addresses allowed in; empty lets in everyone the identity provider authenticates.</summary>
        public List<string> AllowedEmails { get; set; } = [];

        public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
    }
}
