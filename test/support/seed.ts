/** The code of Auth0's "Write Your First Action Module" walk-through, as the seed journey tests use it. */
export const LOGGER_MODULE_CODE = `module.exports = {
  sendLog: async (code, message) => {
    try {
      await fetch(actions.secrets.SERVICE_URL, {
        method: 'POST',
        headers: { 'X-API-Key': actions.secrets.API_KEY },
        body: JSON.stringify({ code, message }),
      });
      console.log({ code, message });
    } catch (err) {
      throw new Error('External service failure');
    }
  },
};
`;
