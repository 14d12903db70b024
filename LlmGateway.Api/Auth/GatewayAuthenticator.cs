using System.Security.Cryptography;
using System.Text;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Auth;

/// <summary>Who is calling. Until virtual keys exist, the master key is the only credential.</summary>
public sealed record Caller(bool IsMaster);

/// <summary>
/// Checks the caller's key. Keys are compared as SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/>,
/// so neither the comparison time nor an error message reveals anything about the key.
/// </summary>
public sealed class GatewayAuthenticator(GatewayConfig config)
{
    private readonly byte[]? masterKeyHash = string.IsNullOrEmpty(config.MasterKey) ? null : Hash(config.MasterKey);

    public bool TryAuthenticate(HttpRequest request, out Caller caller, out GatewayError? error)
    {
        caller = null!;
        var key = ApiKeyReader.Read(request);
        if (string.IsNullOrEmpty(key))
        {
            error = GatewayError.InvalidApiKey("Missing API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key').");
            return false;
        }

        if (masterKeyHash is not null && CryptographicOperations.FixedTimeEquals(Hash(key), masterKeyHash))
        {
            caller = new Caller(IsMaster: true);
            error = null;
            return true;
        }

        error = GatewayError.InvalidApiKey("Invalid API key.");
        return false;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
