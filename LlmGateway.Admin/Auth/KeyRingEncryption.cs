using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Auth;

/// <summary>
/// Encrypts each data-protection key before it is stored (Redis or the key folder) with AES-256-GCM under a key derived
/// from <c>Admin:DataProtection:KeyRingSecret</c>: whoever reads the store cannot forge or read session cookies.
/// </summary>
public sealed class KeyRingEncryptor(string secret) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var element = new XElement("encryptedKey",
            new XComment(" AES-256-GCM under Admin:DataProtection:KeyRingSecret "),
            new XElement("value", Convert.ToBase64String(KeyRingCipher.Seal(secret, plaintext))));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }
}

/// <summary>Created by data protection from the type name stored with each key; reads the secret from the admin's options.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var secret = services.GetRequiredService<IOptions<AdminAuthOptions>>().Value.DataProtection.KeyRingSecret;
        if (string.IsNullOrEmpty(secret))
        {
            throw new InvalidOperationException("A data-protection key is encrypted but Admin:DataProtection:KeyRingSecret is not set.");
        }

        var sealedKey = Convert.FromBase64String(encryptedElement.Element("value")?.Value ?? "");
        return XElement.Parse(Encoding.UTF8.GetString(KeyRingCipher.Open(secret, sealedKey)));
    }
}

internal static class KeyRingCipher
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Purpose = Encoding.UTF8.GetBytes("LlmGateway.Admin data-protection key ring");

    /// <summary>nonce ‖ tag ‖ ciphertext.</summary>
    public static byte[] Seal(string secret, byte[] plaintext)
    {
        var result = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = result.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(secret), TagSize);
        aes.Encrypt(nonce, plaintext, result.AsSpan(NonceSize + TagSize), result.AsSpan(NonceSize, TagSize));
        return result;
    }

    public static byte[] Open(string secret, byte[] sealedKey)
    {
        if (sealedKey.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The encrypted data-protection key is truncated.");
        }

        var plaintext = new byte[sealedKey.Length - NonceSize - TagSize];
        using var aes = new AesGcm(Key(secret), TagSize);
        aes.Decrypt(sealedKey.AsSpan(0, NonceSize), sealedKey.AsSpan(NonceSize + TagSize), sealedKey.AsSpan(NonceSize, TagSize), plaintext);
        return plaintext;
    }

    private static byte[] Key(string secret) => HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: Purpose);
}
