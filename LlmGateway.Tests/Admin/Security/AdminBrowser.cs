using System.Net;
using System.Text.RegularExpressions;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>Signs in to the admin over plain HTTP as a browser's form post would: antiforgery token, cookies, redirects read, not followed.</summary>
public sealed partial class AdminBrowser : IDisposable
{
    private readonly HttpClient client;

    public AdminBrowser(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        client = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public CookieContainer Cookies { get; }

    public HttpClient Client => client;

    /// <summary>Loads the sign-in page (query included) and posts <paramref name="secret"/> with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string secret, string query = "", Action<HttpRequestMessage>? decorate = null)
    {
        var path = "/account/signin" + query;
        using var page = new HttpRequestMessage(HttpMethod.Get, path);
        decorate?.Invoke(page);
        using var form = await client.SendAsync(page);
        var html = await form.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var token = AntiforgeryToken().Match(html);
        Assert.True(token.Success, $"no antiforgery token on the sign-in page ({(int)form.StatusCode}): {html[..Math.Min(html.Length, 500)]}");

        var post = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin",
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
                ["Input.Secret"] = secret,
            }),
        };
        decorate?.Invoke(post);
        return await client.SendAsync(post);
    }

    public void Dispose() => client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
