using System.Security.Cryptography;
using System.Text;
using LlmGateway.Admin.Services;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Auth;

/// <summary>Checks a sign-in secret against the master key and the optional admin password, in constant time.</summary>
public sealed class AdminCredentials(IOptionsMonitor<GatewayAdminOptions> gateway, IOptionsMonitor<AdminAuthOptions> admin)
{
    public const string MasterKeyMethod = "master-key";
    public const string PasswordMethod = "password";

    /// <summary>The method the secret matched (<see cref="MasterKeyMethod"/> or <see cref="PasswordMethod"/>), or null.</summary>
    public string? Verify(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return null;
        }

        // Both comparisons always run, so timing tells nothing about which secret was close.
        var masterKey = Matches(secret, gateway.CurrentValue.MasterKey);
        var password = Matches(secret, admin.CurrentValue.Password);
        return masterKey ? MasterKeyMethod : password ? PasswordMethod : null;
    }

    private static bool Matches(string secret, string? expected)
    {
        if (string.IsNullOrEmpty(expected))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(secret)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }
}
