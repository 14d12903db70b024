using System.Net;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>Rotating the master key or the admin password ends the sessions signed in with the old one, though the key ring (and so the cookie) survives.</summary>
public sealed class SessionRotationTests
{
    private const string Password = "admin-test-password-1b9e";

    [Fact]
    public async Task ANewMasterKeyEndsSessionsSignedInWithTheOldOne()
    {
        var keys = Path.Combine(Path.GetTempPath(), $"llmgw-admin-keys-{Guid.NewGuid():N}");
        using var cleanUp = new KeyFolder(keys);
        using var browser = await SignedInAsync(keys, AdminHost.MasterKey, AdminHost.MasterKey);

        // Same key ring, same master key: the session carries over a restart.
        await using (var restarted = await AdminHost.StartAsync(Settings(keys, AdminHost.MasterKey)))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusPageAsync(browser, restarted));
        }

        await using var rotated = await AdminHost.StartAsync(Settings(keys, "sk-admin-test-rotated-master-key-9876543210"));
        Assert.Equal(HttpStatusCode.Redirect, await StatusPageAsync(browser, rotated));
    }

    [Fact]
    public async Task ANewAdminPasswordEndsSessionsSignedInWithTheOldOne()
    {
        var keys = Path.Combine(Path.GetTempPath(), $"llmgw-admin-keys-{Guid.NewGuid():N}");
        using var cleanUp = new KeyFolder(keys);
        using var browser = await SignedInAsync(keys, AdminHost.MasterKey, Password);

        await using (var restarted = await AdminHost.StartAsync(Settings(keys, AdminHost.MasterKey, Password)))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusPageAsync(browser, restarted));
        }

        await using var rotated = await AdminHost.StartAsync(Settings(keys, AdminHost.MasterKey, "admin-test-password-rotated"));
        Assert.Equal(HttpStatusCode.Redirect, await StatusPageAsync(browser, rotated));
    }

    private static async Task<AdminBrowser> SignedInAsync(string keys, string masterKey, string secret)
    {
        await using var admin = await AdminHost.StartAsync(Settings(keys, masterKey, Password));
        var browser = admin.CreateBrowser();
        using var signIn = await browser.SignInAsync(secret);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await StatusPageAsync(browser, admin));
        return browser;
    }

    /// <summary>The Status page with the browser's cookies (cookies ignore the port, so they reach a restarted admin): 200 signed in, 302 to sign-in otherwise.</summary>
    private static async Task<HttpStatusCode> StatusPageAsync(AdminBrowser browser, AdminHost admin)
    {
        using var response = await browser.Client.GetAsync(new Uri(admin.BaseAddress, "/status"), TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            Assert.Contains("/account/signin", response.Headers.Location!.ToString());
        }

        return response.StatusCode;
    }

    private static Dictionary<string, string?> Settings(string keys, string masterKey, string? password = Password) => new()
    {
        ["Admin:DataProtectionPath"] = keys,
        ["Gateway:MasterKey"] = masterKey,
        ["Admin:Password"] = password,
    };

    /// <summary>The key ring the restarted hosts share, deleted when the test ends.</summary>
    private sealed class KeyFolder(string path) : IDisposable
    {
        public void Dispose() => AdminHost.DeleteKeyFolder(path);
    }
}
