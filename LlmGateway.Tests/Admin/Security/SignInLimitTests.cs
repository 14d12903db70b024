using System.Net;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>Guessing the master key or the admin password is slowed to a handful of tries per address and for the account.</summary>
public sealed class SignInLimitTests
{
    private const string Password = "admin-test-password-7f3c";

    [Fact]
    public async Task AnAddressPastItsFailuresIsLockedOutEvenWithTheRightKeyWhileAnotherAddressStillSignsIn()
    {
        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Admin:SignIn:MaxFailuresPerAddress"] = "3",
        });
        using var attacker = admin.CreateBrowser();

        for (var i = 0; i < 3; i++)
        {
            using var refused = await attacker.SignInAsync($"sk-guess-{i}", decorate: From("198.51.100.1"));
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("That is not the master key", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        using var locked = await attacker.SignInAsync(AdminHost.MasterKey, decorate: From("198.51.100.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.InRange(int.Parse(locked.Headers.GetValues("Retry-After").Single()), 1, 15 * 60);
        Assert.Contains("Too many failed sign-ins", await locked.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.DoesNotContain(locked.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("llmgw-admin="));

        using var other = admin.CreateBrowser();
        using var signedIn = await other.SignInAsync(AdminHost.MasterKey, decorate: From("198.51.100.2"));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

        // The audit trail: every attempt with its address and outcome, never the secret tried.
        var log = string.Join('\n', admin.Log);
        Assert.Contains("Admin sign-in refused from 198.51.100.1", log);
        Assert.Contains("Admin sign-in lockout of the address after failures from 198.51.100.1", log);
        Assert.Contains("Admin sign-in locked_out from 198.51.100.1", log);
        Assert.Contains("Admin sign-in succeeded from 198.51.100.2 (master-key)", log);
        Assert.DoesNotContain("sk-guess-", log);
        Assert.DoesNotContain(AdminHost.MasterKey, log);
    }

    [Fact]
    public async Task FailuresFromManyAddressesLockThePasswordButTheMasterKeyStillSignsIn()
    {
        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Admin:Password"] = Password,
            ["Admin:SignIn:MaxFailuresPerAccount"] = "4",
        });

        for (var i = 0; i < 4; i++)
        {
            using var browser = admin.CreateBrowser();
            using var refused = await browser.SignInAsync($"guess-{i}", decorate: From($"198.51.100.{10 + i}"));
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        }

        using var admin1 = admin.CreateBrowser();
        using var passwordLocked = await admin1.SignInAsync(Password, decorate: From("198.51.100.50"));
        Assert.Equal(HttpStatusCode.TooManyRequests, passwordLocked.StatusCode);

        using var admin2 = admin.CreateBrowser();
        using var masterKey = await admin2.SignInAsync(AdminHost.MasterKey, decorate: From("198.51.100.51"));
        Assert.Equal(HttpStatusCode.Redirect, masterKey.StatusCode);

        var log = string.Join('\n', admin.Log);
        Assert.Contains("Admin sign-in lockout of the account", log);
        Assert.Contains("Admin sign-in locked_out from 198.51.100.50 (account)", log);
        Assert.DoesNotContain(Password, log);
        Assert.DoesNotContain("guess-", log);
    }

    private static Action<HttpRequestMessage> From(string address) => request => request.Headers.Add("X-Forwarded-For", address);
}
