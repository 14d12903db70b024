using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Models;

namespace LlmGateway.Tests.Models;

/// <summary>Which stored parameters are secret, and the AES-256-GCM seal around them.</summary>
public sealed class ModelSecretsTests
{
    [Fact]
    public void CredentialsAreSplitOffAndEnvironmentReferencesAndOrdinaryParametersStayPublic()
    {
        var all = JsonNode.Parse("""
            {"model":"openai/gpt-4o","api_key":"sk-real","aws_secret_access_key":"aws-real","azure_ad_token":"t-real",
             "vertex_credentials":"{}","client_secret":"c","max_tokens":100,"tpm":5,"api_base":"http://x/v1",
             "api_version":"2024-10-21","aws_access_key_id":"id","openai_key":"os.environ/OPENAI_KEY"}
            """)!.AsObject();

        var (open, secret) = ModelSecrets.Split(all);

        Assert.Equal(["api_key", "aws_secret_access_key", "azure_ad_token", "vertex_credentials", "client_secret"], secret.Select(p => p.Key));
        Assert.Equal(["model", "max_tokens", "tpm", "api_base", "api_version", "aws_access_key_id", "openai_key"], open.Select(p => p.Key));
        Assert.Equal("os.environ/OPENAI_KEY", open["openai_key"]!.GetValue<string>());
    }

    [Fact]
    public void SealedSecretsOpenUnderTheSameKeyOnlyAndNeverHoldThePlaintext()
    {
        var secrets = new ModelSecrets("key-one-0123456789abcdef0123456789abcdef", "test");
        var sealedOnce = secrets.Seal(new JsonObject { ["api_key"] = "sk-very-secret" })!;
        var sealedTwice = secrets.Seal(new JsonObject { ["api_key"] = "sk-very-secret" })!;
        var tampered = (byte[])sealedOnce.Clone();
        tampered[^1] ^= 1;

        Assert.Equal("sk-very-secret", secrets.Open(sealedOnce)["api_key"]!.GetValue<string>());
        Assert.DoesNotContain("sk-very-secret", Encoding.UTF8.GetString(sealedOnce), StringComparison.Ordinal);
        Assert.NotEqual(sealedOnce, sealedTwice); // a fresh nonce each time
        Assert.ThrowsAny<CryptographicException>(() => new ModelSecrets("key-two-0123456789abcdef0123456789abcdef", "test").Open(sealedOnce));
        Assert.ThrowsAny<CryptographicException>(() => secrets.Open(tampered));
        Assert.Null(secrets.Seal([]));
        Assert.Empty(secrets.Open(null));
    }
}
