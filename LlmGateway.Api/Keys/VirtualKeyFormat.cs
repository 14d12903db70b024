using System.Security.Cryptography;
using System.Text;

namespace LlmGateway.Api.Keys;

/// <summary>Virtual keys: <c>sk-</c> and 32 random bytes, URL-safe base64. Stored only as SHA-256 hex; shown to admins as a prefix.</summary>
public static class VirtualKeyFormat
{
    public const string Prefix = "sk-";

    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lower-case hex SHA-256: the key's id everywhere (LiteLLM's <c>token</c>).</summary>
    public static string Hash(string key)
    {
        // Once per request: the key's bytes and its digest stay on the stack (a key longer than a few hundred bytes is rare).
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> bytes = length <= 512 ? stackalloc byte[512] : new byte[length];
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(key, bytes)], digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>What admins see: the first and last four characters.</summary>
    public static string DisplayName(string key) => key.Length <= 12 ? "sk-..." : $"{key[..7]}...{key[^4..]}";

    /// <summary>True when the value is already a key hash (64 hex characters) rather than a raw key.</summary>
    public static bool IsHash(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigitLower);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
