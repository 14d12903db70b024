using System.Net;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>The data-protection keys the admin keeps in Redis (they sign session cookies) are stored encrypted.</summary>
public sealed class KeyRingEncryptionTests(TestServers servers)
{
    private const string RedisKeysKey = "llmgateway:admin:data-protection-keys";
    private const string Secret = "admin-key-ring-secret-for-tests-4c1d9a7e2b";

    [Fact]
    public async Task TheKeyRingInRedisHoldsNoPlaintextKeyAndSessionsStillSurviveARestart()
    {
        var redis = await servers.CreateRedisAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        await connection.GetDatabase().KeyDeleteAsync(RedisKeysKey); // a shared external Redis may hold another run's ring
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["Admin:DataProtection:KeyRingSecret"] = Secret,
        };

        AdminBrowser browser;
        await using (var admin = await AdminHost.StartAsync(settings))
        {
            browser = admin.CreateBrowser();
            using var signIn = await browser.SignInAsync(AdminHost.MasterKey);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var ring = (await connection.GetDatabase().ListRangeAsync(RedisKeysKey)).Select(v => (string)v!).ToList();
        Assert.NotEmpty(ring);
        Assert.All(ring, key =>
        {
            Assert.Contains("<encryptedSecret", key);
            Assert.Contains("KeyRingDecryptor", key);
            Assert.DoesNotContain("<masterKey", key);
            Assert.DoesNotContain("unencrypted form", key);
        });

        using (browser)
        {
            // The same secret reads the ring back: the cookie still opens a session after a restart.
            await using (var restarted = await AdminHost.StartAsync(settings))
            {
                using var page = await browser.Client.GetAsync(new Uri(restarted.BaseAddress, "/status"), TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            }

            // Another secret cannot read the stored keys: the old cookie is worthless, and the admin still serves its sign-in page.
            settings["Admin:DataProtection:KeyRingSecret"] = "another-secret-entirely-0000000000000000";
            await using var other = await AdminHost.StartAsync(settings);
            using var refused = await browser.Client.GetAsync(new Uri(other.BaseAddress, "/status"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
            using var signInPage = await browser.Client.GetAsync(new Uri(other.BaseAddress, "/account/signin"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, signInPage.StatusCode);
        }
    }

    [Fact]
    public async Task InProductionTheAdminRefusesToStartWithoutAKeyRingSecret()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var admin = await AdminHost.StartAsync(environment: "Production");
        });

        Assert.Contains("Admin:DataProtection:KeyRingSecret is not set", failure.ToString());
    }

    [Fact]
    public async Task InProductionTheAdminStartsWithAKeyRingSecretOrWhenUnencryptedKeysAreExplicitlyAllowed()
    {
        await using (var encrypted = await AdminHost.StartAsync(new Dictionary<string, string?> { ["Admin:DataProtection:KeyRingSecret"] = Secret }, "Production"))
        {
            using var browser = encrypted.CreateBrowser();
            using var signIn = await browser.SignInAsync(AdminHost.MasterKey);
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        await using var allowed = await AdminHost.StartAsync(new Dictionary<string, string?> { ["Admin:DataProtection:AllowUnencryptedKeys"] = "true" }, "Production");
        using var client = allowed.CreateBrowser();
        using var page = await client.Client.GetAsync("/account/signin", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
