using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace LlmGateway.Api.Models;

/// <summary>
/// Seals the secret <c>litellm_params</c> of a stored deployment (<c>api_key</c> and any other credential) with
/// AES-256-GCM before they reach Postgres. The key is derived (HKDF-SHA256) from <c>Gateway:ModelSecretsKey</c>, else
/// LiteLLM's <c>LITELLM_SALT_KEY</c>, else the master key (as LiteLLM does; rotating the master key then makes stored
/// secrets unreadable). <c>os.environ/NAME</c> references are not secrets: they are stored as they are.
/// </summary>
public sealed class ModelSecrets
{
    public const string MasterKeySource = "the master key";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const string EnvPrefix = "os.environ/";
    private static readonly byte[] Purpose = Encoding.UTF8.GetBytes("LlmGateway stored deployment secrets");

    private readonly byte[]? key;

    public ModelSecrets(string? secret, string source)
    {
        Source = source;
        key = string.IsNullOrEmpty(secret) ? null : HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: Purpose);
    }

    /// <summary>Which setting the key came from (for the start-up log; never the key).</summary>
    public string Source { get; }

    public bool HasKey => key is not null;

    /// <summary>A credential by its name: <c>api_key</c>, <c>*_key</c>, <c>*_token</c>, anything with secret, password or credential.</summary>
    public static bool IsSecret(string name)
    {
        var n = name.ToLowerInvariant();
        return n.EndsWith("key", StringComparison.Ordinal) || n.EndsWith("_token", StringComparison.Ordinal)
            || n.Contains("secret", StringComparison.Ordinal) || n.Contains("password", StringComparison.Ordinal)
            || n.Contains("credential", StringComparison.Ordinal);
    }

    /// <summary>The parameters without their secret values, and the secret values alone (references stay public).</summary>
    public static (JsonObject Public, JsonObject Secret) Split(JsonObject litellmParams)
    {
        var open = new JsonObject();
        var secret = new JsonObject();
        foreach (var (name, value) in litellmParams)
        {
            var isReference = value is JsonValue v && v.TryGetValue(out string? text) && text.StartsWith(EnvPrefix, StringComparison.Ordinal);
            (IsSecret(name) && !isReference && value is not null ? secret : open)[name] = value?.DeepClone();
        }

        return (open, secret);
    }

    /// <summary>A stored row's whole <c>litellm_params</c>: its public JSON with the sealed secrets opened into it.</summary>
    public JsonObject Join(string publicParams, byte[]? sealedSecrets)
    {
        var all = JsonNode.Parse(publicParams)?.AsObject() ?? [];
        foreach (var (name, value) in Open(sealedSecrets))
        {
            all[name] = value?.DeepClone();
        }

        return all;
    }

    /// <summary>nonce ‖ tag ‖ ciphertext of the secrets' JSON; null when there are none.</summary>
    public byte[]? Seal(JsonObject secrets)
    {
        if (secrets.Count == 0)
        {
            return null;
        }

        var plaintext = Encoding.UTF8.GetBytes(secrets.ToJsonString());
        var result = new byte[NonceSize + TagSize + plaintext.Length];
        RandomNumberGenerator.Fill(result.AsSpan(0, NonceSize));
        using var aes = new AesGcm(Key(), TagSize);
        aes.Encrypt(result.AsSpan(0, NonceSize), plaintext, result.AsSpan(NonceSize + TagSize), result.AsSpan(NonceSize, TagSize));
        return result;
    }

    /// <exception cref="CryptographicException">Sealed under another key, or altered.</exception>
    public JsonObject Open(byte[]? sealedSecrets)
    {
        if (sealedSecrets is null)
        {
            return [];
        }

        if (sealedSecrets.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The stored secrets are truncated.");
        }

        var plaintext = new byte[sealedSecrets.Length - NonceSize - TagSize];
        using var aes = new AesGcm(Key(), TagSize);
        aes.Decrypt(sealedSecrets.AsSpan(0, NonceSize), sealedSecrets.AsSpan(NonceSize + TagSize), sealedSecrets.AsSpan(NonceSize, TagSize), plaintext);
        return JsonNode.Parse(plaintext)?.AsObject() ?? [];
    }

    private byte[] Key() => key ?? throw new CryptographicException(
        "No key to encrypt model secrets: set Gateway:ModelSecretsKey (or LITELLM_SALT_KEY, or a master key).");
}
